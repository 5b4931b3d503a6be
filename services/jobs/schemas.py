"""marshmallow schemas of the jobs HTTP API, one per direction (…In: requests, …Out: responses)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .models import APPLICATION_STATUSES, DEGREES, INTERVIEW_MODES, INTERVIEW_STATUSES, JOB_TYPES, POSITION_STATUSES

MAX_SALARY = 10_000_000


class Text(fields.String):
    """A string with surrounding whitespace removed (so "   " counts as empty)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def _text(max_len: int, *, required: bool = True, **kwargs) -> Text:
    return Text(required=required, validate=validate.Length(min=1, max=max_len), **kwargs)


class _Query(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # page / page_size belong to the paginator


class _Body(ma.Schema):
    class Meta:
        unknown = ma.RAISE


# --- positions --------------------------------------------------------------------------------
class PositionIn(_Body):
    title = _text(100, metadata={"example": "高级Python开发工程师"})
    description = _text(5000)
    city = _text(50, metadata={"example": "上海"})
    salary_min = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_SALARY),
                                metadata={"description": "月薪下限（元）"})
    salary_max = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_SALARY),
                                metadata={"description": "月薪上限（元）"})
    degree = fields.String(required=True, validate=validate.OneOf(DEGREES))
    majors = fields.List(_text(50), load_default=list, validate=validate.Length(max=50))
    headcount = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=100_000))
    job_type = fields.String(required=True, validate=validate.OneOf(JOB_TYPES))
    industry = _text(50, metadata={"example": "互联网"})
    deadline = fields.Date(required=True, metadata={"description": "YYYY-MM-DD，当天仍可申请"})

    @ma.validates_schema
    def _salary_order(self, data, **kwargs):
        if "salary_min" in data and "salary_max" in data and data["salary_min"] > data["salary_max"]:
            raise ma.ValidationError("最低薪资不能高于最高薪资 (salary_min must not exceed salary_max)",
                                     "salary_max")


class PositionPatchIn(PositionIn):
    """PATCH body: any subset of the position fields (used with partial=True)."""


class PositionSearchIn(_Query):
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "关键词（空格分隔，全部须匹配；中英文均可）"})
    city = fields.String(validate=validate.Length(max=50))
    degree = fields.String(validate=validate.OneOf(DEGREES))
    job_type = fields.String(validate=validate.OneOf(JOB_TYPES))
    industry = fields.String(validate=validate.Length(max=50))
    employer_id = fields.Integer(validate=validate.Range(min=1))
    salary_min = fields.Integer(validate=validate.Range(min=0, max=MAX_SALARY),
                                metadata={"description": "职位薪资区间与所给区间有交集即匹配"})
    salary_max = fields.Integer(validate=validate.Range(min=0, max=MAX_SALARY))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(("relevance", "newest")))

    @ma.validates_schema
    def _salary_order(self, data, **kwargs):
        if data.get("salary_min") is not None and data.get("salary_max") is not None \
                and data["salary_min"] > data["salary_max"]:
            raise ma.ValidationError("salary_min 不能大于 salary_max", "salary_max")


class PositionStatusQueryIn(_Query):
    status = fields.String(validate=validate.OneOf(POSITION_STATUSES))


class ReviewIn(_Body):
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class PositionOut(ma.Schema):
    id = fields.Integer()
    employer_id = fields.Integer()
    company_name = fields.String()
    title = fields.String()
    description = fields.String()
    city = fields.String()
    salary_min = fields.Integer()
    salary_max = fields.Integer()
    degree = fields.String()
    majors = fields.List(fields.String())
    headcount = fields.Integer()
    job_type = fields.String()
    industry = fields.String()
    deadline = fields.Date()
    status = fields.String(metadata={"description": "pending_review | published | rejected | closed"})
    accepting_applications = fields.Boolean(metadata={"description": "已发布且未过截止日期"})
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    score = fields.Float(metadata={"description": "相关度（仅关键词搜索）"})
    favorited = fields.Boolean(metadata={"description": "学生本人是否收藏（仅学生）"})
    applied = fields.Boolean(metadata={"description": "学生本人是否已申请（仅学生）"})
    application_id = fields.Integer(allow_none=True)
    application_status = fields.String(allow_none=True)
    review_note = fields.String(allow_none=True)


# --- favorites --------------------------------------------------------------------------------
class FavoriteOut(ma.Schema):
    position_id = fields.Integer()
    created_at = fields.DateTime()
    position = fields.Nested(PositionOut)


# --- applications -----------------------------------------------------------------------------
class ApplicationQueryIn(_Query):
    position_id = fields.Integer(validate=validate.Range(min=1))
    status = fields.String(validate=validate.OneOf(APPLICATION_STATUSES))


class ApplicationStatusIn(_Body):
    status = fields.String(required=True, validate=validate.OneOf(("viewed", "interview", "offer", "rejected")))


class PositionBriefOut(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    company_name = fields.String()
    city = fields.String()
    status = fields.String()
    deadline = fields.Date()


class HistoryOut(ma.Schema):
    from_status = fields.String(allow_none=True)
    status = fields.String()
    by = fields.String()
    at = fields.DateTime()


class ApplicationOut(ma.Schema):
    id = fields.Integer()
    position_id = fields.Integer()
    position = fields.Nested(PositionBriefOut)
    employer_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "delivered | viewed | interview | offer | rejected | withdrawn"})
    status_label = fields.String()
    resume_id = fields.Integer(allow_none=True)
    resume_kind = fields.String(allow_none=True)
    resume_title = fields.String(allow_none=True)
    completeness = fields.Integer()
    viewed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    history = fields.List(fields.Nested(HistoryOut))


class DeliveredResumeOut(ma.Schema):
    application_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String(allow_none=True)
    status = fields.String()
    resume_id = fields.Integer(allow_none=True)
    kind = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    completeness = fields.Integer()
    delivered_at = fields.DateTime()
    snapshot = fields.Dict(metadata={"description": "简历投递时的内容（之后的修改不影响）"})


# --- interviews -------------------------------------------------------------------------------
class InterviewIn(_Body):
    starts_at = fields.AwareDateTime(required=True, format="iso",
                                     metadata={"example": "2026-06-01T14:00:00+08:00"})
    mode = fields.String(required=True, validate=validate.OneOf(INTERVIEW_MODES))
    location = fields.String(validate=validate.Length(max=300), allow_none=True,
                             metadata={"description": "现场面试必填"})
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)
    duration_minutes = fields.Integer(strict=True, validate=validate.Range(min=10, max=480))


class InterviewAnswerIn(_Body):
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class InterviewQueryIn(_Query):
    status = fields.String(validate=validate.OneOf(INTERVIEW_STATUSES))
    upcoming = fields.Boolean(load_default=False)


class InterviewOut(ma.Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    position_id = fields.Integer()
    position_title = fields.String()
    company_name = fields.String()
    employer_id = fields.Integer()
    student_id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    duration_minutes = fields.Integer()
    mode = fields.String()
    location = fields.String(allow_none=True)
    room_url = fields.String(allow_none=True, metadata={"description": "视频面试房间链接（online）"})
    note = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "invited | accepted | declined | cancelled"})
    answer_note = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
