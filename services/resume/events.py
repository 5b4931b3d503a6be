"""Events the resume service publishes on the `resume.events` exchange (routing key = event name).

They carry ids and scores only, never the resume's personal content: outside systems that need the
content ask over RPC, where the owner's rules apply.
"""
from __future__ import annotations

import marshmallow as ma

from cc_kit.events import EventCatalog

catalog = EventCatalog("resume", "学生简历 (student resumes)")


class ResumeEventData(ma.Schema):
    student_id = ma.fields.Integer(required=True)
    resume_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "zh | en | attachment"})
    completeness = ma.fields.Integer(required=True, metadata={"description": "0–100 after the change"})
    is_default = ma.fields.Boolean(required=True)


class DefaultResumeChangedData(ma.Schema):
    student_id = ma.fields.Integer(required=True)
    resume_id = ma.fields.Integer(required=True, allow_none=True,
                                  metadata={"description": "the new default; null when the default was deleted"})
    completeness = ma.fields.Integer(required=True, allow_none=True,
                                     metadata={"description": "completeness of the new default; null without one"})
    previous_resume_id = ma.fields.Integer(required=True, allow_none=True)


resume_created = catalog.declare("resume_created", ResumeEventData, "学生新建了一份简历 (a resume was created)")
resume_updated = catalog.declare("resume_updated", ResumeEventData,
                                 "简历内容、标题或附件发生变化 (a resume's sections, title or file changed)")
resume_deleted = catalog.declare("resume_deleted", ResumeEventData, "学生删除了一份简历 (a resume was deleted)")
default_resume_changed = catalog.declare(
    "default_resume_changed", DefaultResumeChangedData,
    "默认投递简历变更：设为默认、首份简历自动成为默认、或默认简历被删除 (resume_id null) "
    "(the default delivery resume changed)")
