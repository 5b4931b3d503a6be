"""The events jobs publishes on `jobs.events` (CloudEvents envelope; routing key = event name)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from cc_kit.events import EventCatalog

catalog = EventCatalog("jobs", "职位、申请与面试 (positions, applications and interviews)")


class PositionPublishedSchema(ma.Schema):
    position_id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    company_name = fields.String(required=True)
    title = fields.String(required=True)
    city = fields.String(required=True)
    industry = fields.String(required=True)
    job_type = fields.String(required=True)
    degree = fields.String(required=True)
    majors = fields.List(fields.String(), required=True)
    salary_min = fields.Integer(required=True)
    salary_max = fields.Integer(required=True)
    headcount = fields.Integer(required=True)
    deadline = fields.String(required=True, metadata={"description": "YYYY-MM-DD, inclusive"})
    published_at = fields.String(required=True)


class PositionClosedSchema(ma.Schema):
    position_id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "closed or rejected"})
    closed_at = fields.String(required=True)


class ApplicationSubmittedSchema(ma.Schema):
    application_id = fields.Integer(required=True)
    position_id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    student_id = fields.Integer(required=True)
    resume_id = fields.Integer(required=True)
    completeness = fields.Integer(required=True)
    submitted_at = fields.String(required=True)


class ApplicationStatusChangedSchema(ma.Schema):
    application_id = fields.Integer(required=True)
    position_id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    student_id = fields.Integer(required=True)
    old_status = fields.String(required=True)
    status = fields.String(required=True)
    changed_by_role = fields.String(required=True)
    changed_at = fields.String(required=True)


class InterviewInvitedSchema(ma.Schema):
    interview_id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    position_id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    student_id = fields.Integer(required=True)
    starts_at = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    mode = fields.String(required=True)


class InterviewAnsweredSchema(ma.Schema):
    interview_id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    student_id = fields.Integer(required=True)
    answer = fields.String(required=True, metadata={"description": "accepted or declined"})
    answered_at = fields.String(required=True)


position_published = catalog.declare(
    "position_published", PositionPublishedSchema, "职位公开发布（无需审核时立即，需审核时在学校通过后）")
position_closed = catalog.declare(
    "position_closed", PositionClosedSchema, "职位被关闭或被学校下架，不再接受申请")
application_submitted = catalog.declare(
    "application_submitted", ApplicationSubmittedSchema, "学生一键投递了职位（简历快照已保存）")
application_status_changed = catalog.declare(
    "application_status_changed", ApplicationStatusChangedSchema,
    "申请状态变化：delivered → viewed → interview → offer / rejected，或学生撤回 withdrawn")
interview_invited = catalog.declare(
    "interview_invited", InterviewInvitedSchema, "用人单位邀请学生面试（学生同时收到短信和邮件）")
interview_answered = catalog.declare(
    "interview_answered", InterviewAnsweredSchema, "学生接受或拒绝了面试邀请")
