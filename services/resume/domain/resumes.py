"""A student's resumes: create, read, replace, patch, delete, the default delivery resume, attachments and
the frozen snapshot jobs takes when the student applies.

Ownership: every function takes the caller's student id and answers 404 for a resume of someone else, so
nobody learns whether another student's id exists. Every change to a student's set of resumes (create,
delete, default switch) first locks that student's `resume_owners` row, so concurrent requests queue:
exactly one default, never more resumes than the cap.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cc_kit.errors import Conflict, NotFound, Unprocessable
from cc_kit.outbox import record, utcnow
from cc_kit.storage import StoredFile

from .. import events
from ..models import Outbox, Resume, ResumeOwner
from .completeness import DELIVERY_THRESHOLD, Completeness, compute
from .sections import (ATTACHMENT_SECTION_KEYS, DEFAULT_TITLES, MAX_RESUMES_PER_STUDENT, SECTION_KEYS,
                       SECTION_LABELS, merge_sections, normalize_content)

log = logging.getLogger(__name__)

ATTACHMENT_MIMES = {
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_EXTENSIONS = {"application/pdf": "pdf", "application/msword": "doc",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx"}


def _not_found() -> NotFound:
    return NotFound("简历不存在 (resume not found)", code="resume_not_found")


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were written in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


# --- reading ------------------------------------------------------------------------------------
def completeness_of(resume: Resume) -> Completeness:
    return compute(resume.kind, normalize_content(resume.content), has_attachment=bool(resume.attachment_key))


def _attachment_meta(resume: Resume, *, with_key: bool = False) -> dict | None:
    if not resume.attachment_key:
        return None
    meta = {"mime": resume.attachment_mime, "size": resume.attachment_size, "sha256": resume.attachment_sha256,
            "original_name": resume.attachment_name, "uploaded_at": _aware(resume.attachment_uploaded_at)}
    if with_key:
        meta["key"] = resume.attachment_key
    return meta


def resume_view(resume: Resume, default_id: int | None, *, full: bool = True) -> dict:
    """What the owner sees: sections (when `full`), completeness, missing sections, is_default."""
    result = completeness_of(resume)
    view = {
        "id": resume.id,
        "kind": resume.kind,
        "title": resume.title,
        "is_default": resume.id == default_id,
        "completeness": result.score,
        "missing": result.missing_sections,
        "attachment": _attachment_meta(resume),
        "created_at": _aware(resume.created_at),
        "updated_at": _aware(resume.updated_at),
    }
    if full:
        view.update(normalize_content(resume.content))
        view["completeness_detail"] = result.to_dict()
    return view


def _default_id(session: Session, student_id: int) -> int | None:
    return session.execute(select(ResumeOwner.default_resume_id)
                           .where(ResumeOwner.student_id == student_id)).scalar_one_or_none()


_MAX_ID = 2**63 - 1  # larger ids cannot exist, and the drivers refuse to bind them


def _owned(session: Session, student_id: int, resume_id: int) -> Resume:
    resume = session.get(Resume, resume_id) if 0 < resume_id <= _MAX_ID else None
    if resume is None or resume.student_id != student_id:
        raise _not_found()
    return resume


def list_resumes(session: Session, student_id: int) -> list[dict]:
    default_id = _default_id(session, student_id)
    rows = session.execute(select(Resume).where(Resume.student_id == student_id).order_by(Resume.id)).scalars()
    return [resume_view(resume, default_id, full=False) for resume in rows]


def get_resume(session: Session, student_id: int, resume_id: int) -> dict:
    return resume_view(_owned(session, student_id, resume_id), _default_id(session, student_id))


def get_completeness(session: Session, student_id: int, resume_id: int) -> dict:
    return completeness_of(_owned(session, student_id, resume_id)).to_dict()


# --- changing -----------------------------------------------------------------------------------
def _lock_owner(session: Session, student_id: int) -> ResumeOwner:
    """The student's owner row, created if needed and locked for this transaction (FOR UPDATE on
    PostgreSQL; on SQLite the write transaction already holds the database's write lock)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(ResumeOwner).values(student_id=student_id, default_resume_id=None, updated_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["student_id"]))
    return session.execute(select(ResumeOwner).where(ResumeOwner.student_id == student_id)
                           .with_for_update().execution_options(populate_existing=True)).scalar_one()


def _check_sections_for_kind(kind: str, sections: dict) -> None:
    if kind != "attachment":
        return
    errors = {key: ["附件简历只填写基本信息和求职意向，其余内容请写在附件里 "
                    "(an attachment resume carries only basic_info and job_intention)"]
              for key in SECTION_KEYS if key not in ATTACHMENT_SECTION_KEYS and sections.get(key)}
    if errors:
        raise Unprocessable("附件简历不包含这些部分 (sections not used by attachment resumes)", errors=errors)


def _sections(data: dict) -> dict:
    return {key: data[key] for key in SECTION_KEYS if key in data}


def _record_resume_event(session: Session, event, resume: Resume, is_default: bool) -> None:
    record(session, Outbox, event, {
        "student_id": resume.student_id, "resume_id": resume.id, "kind": resume.kind,
        "completeness": completeness_of(resume).score, "is_default": is_default,
    }, subject=resume.id)


def _record_default_changed(session: Session, student_id: int, resume: Resume | None, previous: int | None) -> None:
    record(session, Outbox, events.default_resume_changed, {
        "student_id": student_id,
        "resume_id": resume.id if resume is not None else None,
        "completeness": completeness_of(resume).score if resume is not None else None,
        "previous_resume_id": previous,
    }, subject=student_id)


def create_resume(session: Session, student_id: int, data: dict) -> dict:
    """A new resume (`data`: kind, title?, sections?). The student's first resume becomes the default."""
    kind = data["kind"]
    sections = _sections(data)
    _check_sections_for_kind(kind, sections)
    owner = _lock_owner(session, student_id)
    count = session.execute(select(func.count()).select_from(Resume)
                            .where(Resume.student_id == student_id)).scalar_one()
    if count >= MAX_RESUMES_PER_STUDENT:
        raise Conflict(f"最多可保存 {MAX_RESUMES_PER_STUDENT} 份简历，请先删除不用的简历 "
                       f"(at most {MAX_RESUMES_PER_STUDENT} resumes)", code="resume_limit_reached",
                       limit=MAX_RESUMES_PER_STUDENT)
    now = utcnow()
    resume = Resume(student_id=student_id, kind=kind, title=data.get("title") or DEFAULT_TITLES[kind],
                    content=normalize_content(sections), attachment_delivered=False, created_at=now, updated_at=now)
    session.add(resume)
    session.flush()
    if owner.default_resume_id is None:
        owner.default_resume_id = resume.id
        owner.updated_at = now
        _record_default_changed(session, student_id, resume, None)
    _record_resume_event(session, events.resume_created, resume, owner.default_resume_id == resume.id)
    return resume_view(resume, owner.default_resume_id)


def update_resume(session: Session, student_id: int, resume_id: int, data: dict, *, partial: bool) -> dict:
    """PUT (`partial=False`: every section replaced, absent ones emptied) or PATCH (given sections replaced)."""
    resume = _owned(session, student_id, resume_id)
    if data.get("kind") not in (None, resume.kind):
        raise Unprocessable("简历类型创建后不能修改，请新建一份简历 (kind cannot change)", code="kind_immutable",
                            errors={"kind": [f"此简历的类型是 {resume.kind} (this resume is {resume.kind})"]})
    sections = _sections(data)
    content = merge_sections(resume.content, sections) if partial else normalize_content(sections)
    _check_sections_for_kind(resume.kind, content)
    title = data.get("title") or resume.title
    default_id = _default_id(session, student_id)
    if content != normalize_content(resume.content) or title != resume.title:
        resume.content, resume.title, resume.updated_at = content, title, utcnow()
        session.flush()
        _record_resume_event(session, events.resume_updated, resume, resume.id == default_id)
    return resume_view(resume, default_id)


def delete_resume(session: Session, student_id: int, resume_id: int) -> list[str]:
    """Delete a resume; if it was the default, the student has no default until they choose one.
    Returns the storage keys the caller may remove once the transaction committed."""
    owner = _lock_owner(session, student_id)
    resume = _owned(session, student_id, resume_id)
    was_default = owner.default_resume_id == resume.id
    if was_default:
        owner.default_resume_id = None
        owner.updated_at = utcnow()
        _record_default_changed(session, student_id, None, resume.id)
    _record_resume_event(session, events.resume_deleted, resume, was_default)
    orphaned = [resume.attachment_key] if resume.attachment_key and not resume.attachment_delivered else []
    session.flush()
    session.delete(resume)
    return orphaned


def set_default(session: Session, student_id: int, resume_id: int) -> dict:
    """Make this resume the default delivery resume (idempotent; an event only when it changes)."""
    owner = _lock_owner(session, student_id)
    resume = _owned(session, student_id, resume_id)
    if owner.default_resume_id != resume.id:
        previous = owner.default_resume_id
        owner.default_resume_id = resume.id
        owner.updated_at = utcnow()
        _record_default_changed(session, student_id, resume, previous)
    return resume_view(resume, owner.default_resume_id)


# --- attachments ----------------------------------------------------------------------------------
def _require_attachment_kind(resume: Resume) -> None:
    if resume.kind != "attachment":
        raise Conflict("只有附件简历可以上传文件 (only attachment resumes take a file)", code="wrong_resume_kind")


def attach_file(session: Session, student_id: int, resume_id: int, stored: StoredFile) -> tuple[dict, str | None]:
    """Record an already stored file on the resume; returns (view, key of the replaced file if removable)."""
    resume = _owned(session, student_id, resume_id)
    _require_attachment_kind(resume)
    replaced = resume.attachment_key if resume.attachment_key and not resume.attachment_delivered else None
    resume.attachment_key, resume.attachment_mime = stored.key, stored.mime
    resume.attachment_size, resume.attachment_sha256 = stored.size, stored.sha256
    resume.attachment_name = stored.original_name or None
    resume.attachment_uploaded_at = resume.updated_at = utcnow()
    resume.attachment_delivered = False
    session.flush()
    default_id = _default_id(session, student_id)
    _record_resume_event(session, events.resume_updated, resume, resume.id == default_id)
    return resume_view(resume, default_id), replaced


def store_attachment(db, storage, student_id: int, resume_id: int, data: bytes, original_name: str,
                     max_bytes: int) -> dict:
    """Check ownership, store the file under a generated key (type by content, size-limited), then record
    it; a failed transaction removes the new file, a successful one the replaced file."""
    with db.read() as session:
        _require_attachment_kind(_owned(session, student_id, resume_id))
    stored = storage.save("resumes", data, allowed=ATTACHMENT_MIMES, max_bytes=max_bytes,
                          original_name=original_name or "")
    try:
        with db.write() as session:
            view, replaced = attach_file(session, student_id, resume_id, stored)
    except BaseException:
        storage.delete(stored.key)
        raise
    remove_files(storage, [replaced] if replaced else [])
    return view


def remove_files(storage, keys: list[str]) -> None:
    """Best effort: a file left behind wastes space, an exception here would misreport a committed change."""
    for key in keys:
        try:
            storage.delete(key)
        except Exception:
            log.exception("could not remove stored file %s", key)


def read_attachment(session: Session, storage, student_id: int, resume_id: int) -> tuple[bytes, str, str]:
    """(content, mime, download name) of the resume's file; the name gets the extension of the real type."""
    resume = _owned(session, student_id, resume_id)
    if not resume.attachment_key:
        raise NotFound("此简历还没有上传附件 (no file uploaded yet)", code="attachment_not_found")
    stem = os.path.splitext(resume.attachment_name or "")[0].strip(". ") or f"resume-{resume.id}"
    return storage.open(resume.attachment_key), resume.attachment_mime, f"{stem}.{_EXTENSIONS[resume.attachment_mime]}"


def resume_for_pdf(session: Session, student_id: int, resume_id: int) -> dict:
    """What the PDF renders: kind, title and the normalized sections of a zh/en resume."""
    resume = _owned(session, student_id, resume_id)
    if resume.kind == "attachment":
        raise Conflict("附件简历请直接下载附件 (attachment resumes: GET …/attachment)", code="wrong_resume_kind")
    return {"id": resume.id, "kind": resume.kind, "title": resume.title, **normalize_content(resume.content)}


# --- delivery (RPC for jobs) ------------------------------------------------------------------------
def delivery_snapshot(session: Session, student_id: int) -> dict:
    """The default resume as an application freezes it: score, what is missing, and a JSON copy of the
    content (with the attachment's storage key). Needs a write session: a delivered file is marked so that
    it outlives later replacements."""
    default_id = _default_id(session, student_id)
    resume = session.get(Resume, default_id) if default_id is not None else None
    if resume is None:
        return {
            "resume_id": None, "kind": None, "title": None, "completeness": 0, "threshold": DELIVERY_THRESHOLD,
            "deliverable": False, "missing": ["default_resume"],
            "missing_items": [{"section": "default_resume", "label": "默认投递简历", "points": 100, "fields": [],
                               "hint": "请先创建简历并设为默认投递简历"}],
            "message": "还没有默认投递简历，请先创建简历并设为默认 (no default resume)",
            "snapshot": None,
        }
    result = completeness_of(resume)
    if resume.attachment_key and not resume.attachment_delivered:
        resume.attachment_delivered = True
    attachment = _attachment_meta(resume, with_key=True)
    if attachment:
        attachment["uploaded_at"] = attachment["uploaded_at"].isoformat()
    snapshot = {
        "resume_id": resume.id, "student_id": resume.student_id, "kind": resume.kind, "title": resume.title,
        "labels": SECTION_LABELS["en" if resume.kind == "en" else "zh"],
        **normalize_content(resume.content),
        "attachment": attachment,
        "completeness": result.score,
        "resume_updated_at": _aware(resume.updated_at).isoformat(),
        "taken_at": utcnow().isoformat(),
    }
    return {"resume_id": resume.id, "kind": resume.kind, "title": resume.title, **result.to_dict(),
            "completeness": result.score, "snapshot": snapshot}
