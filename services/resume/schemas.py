"""marshmallow schemas of the resume api, one per direction (…In = request body, the rest = responses).

Months are `YYYY-MM`, dates `YYYY-MM-DD`; every message is Chinese with the English in brackets.
"""
from __future__ import annotations

import re
from datetime import date

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate as v

from .domain.sections import DEGREES, GENDERS, KINDS

_MESSAGES = {
    "required": "必填项 (required)",
    "null": "不能为空 (may not be null)",
    "invalid": "格式不正确 (invalid value)",
    "type": "类型不正确 (invalid type)",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MONTH = re.compile(r"(19[5-9]\d|20\d\d|2100)-(0[1-9]|1[0-2])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{5,19}")


class Schema(ma.Schema):
    """Unknown fields are refused (a typo must not silently drop data), in Chinese."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    error_messages = {"unknown": "未知字段 (unknown field)", "type": "应为 JSON 对象 (expected an object)"}


class Text(ma.fields.String):
    """A string trimmed of surrounding blanks and of control characters (they break PDFs and PostgreSQL);
    a blank optional value becomes null."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if self.allow_none and isinstance(value, str) and not _CONTROL.sub("", value).strip():
            value = None
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _CONTROL.sub("", super()._deserialize(value, attr, data, **kwargs)).strip()


class Month(ma.fields.String):
    default_error_messages = {"month": "月份格式应为 YYYY-MM (expected YYYY-MM)"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not _MONTH.fullmatch(text):
            raise self.make_error("month")
        return text


class BirthDate(ma.fields.String):
    default_error_messages = {"date": "日期格式应为 YYYY-MM-DD (expected YYYY-MM-DD)",
                              "range": "出生日期不合理 (implausible birth date)"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            parsed = date.fromisoformat(text) if _DATE.fullmatch(text) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise self.make_error("date")
        if not date(1940, 1, 1) <= parsed <= date.today():
            raise self.make_error("range")
        return text


def _text(max_len: int, *, required: bool = False, validators: tuple = (), **kwargs) -> Text:
    """A trimmed text field: required ones need 1..max_len characters, optional ones may be null."""
    length = v.Length(min=1, max=max_len, error=f"长度应为 1–{max_len} 个字符 (length 1–{max_len})")
    return Text(required=required, allow_none=not required, validate=[length, *validators],
                error_messages=_MESSAGES, **kwargs)


def _text_list(item_len: int, max_items: int, **kwargs) -> ma.fields.List:
    return ma.fields.List(_text(item_len, required=True), allow_none=True,
                          validate=v.Length(max=max_items, error=f"最多 {max_items} 项 (at most {max_items} items)"),
                          error_messages=_MESSAGES, **kwargs)


def _check_period(data: dict, *, start: str = "start", end: str = "end") -> None:
    if data.get(start) and data.get(end) and data[start] > data[end]:
        raise ma.ValidationError("结束时间不能早于开始时间 (end is before start)", end)


class BasicInfoSchema(Schema):
    name = _text(50)
    gender = ma.fields.String(allow_none=True, validate=v.OneOf(GENDERS, error="性别应为 male 或 female（男/女）"),
                              error_messages=_MESSAGES, metadata={"description": "male | female（也接受“男”“女”）"})
    birth_date = BirthDate(allow_none=True, error_messages=_MESSAGES, metadata={"example": "2003-05-01"})
    phone = _text(20, validators=(v.Regexp(_PHONE, error="手机号码格式不正确 (invalid phone number)"),))
    email = ma.fields.Email(allow_none=True, validate=v.Length(max=254),
                            error_messages={**_MESSAGES, "invalid": "邮箱格式不正确 (invalid email)"})
    city = _text(50)

    @ma.pre_load
    def _chinese_gender(self, data, **kwargs):
        if isinstance(data, dict) and data.get("gender") in ("男", "女"):
            data = {**data, "gender": {"男": "male", "女": "female"}[data["gender"]]}
        return data


class EducationSchema(Schema):
    school = _text(100, required=True)
    major = _text(100, required=True)
    degree = ma.fields.String(required=True, validate=v.OneOf(DEGREES, error="学历应为 专科/本科/硕士/博士 (degree)"),
                              error_messages=_MESSAGES)
    start = Month(required=True, error_messages=_MESSAGES, metadata={"example": "2022-09"})
    end = Month(allow_none=True, error_messages=_MESSAGES,
                metadata={"example": "2026-06", "description": "null = 至今 (ongoing)"})

    @ma.validates_schema
    def _period(self, data, **kwargs):
        _check_period(data)


class InternshipSchema(Schema):
    company = _text(100, required=True)
    position = _text(100, required=True)
    start = Month(required=True, error_messages=_MESSAGES)
    end = Month(allow_none=True, error_messages=_MESSAGES, metadata={"description": "null = 至今 (ongoing)"})
    description = _text(2000)

    @ma.validates_schema
    def _period(self, data, **kwargs):
        _check_period(data)


class ProjectSchema(Schema):
    name = _text(100, required=True)
    role = _text(50)
    start = Month(allow_none=True, error_messages=_MESSAGES)
    end = Month(allow_none=True, error_messages=_MESSAGES)
    description = _text(2000)

    @ma.validates_schema
    def _period(self, data, **kwargs):
        _check_period(data)


_SALARY = {"allow_none": True, "strict": True, "error_messages": _MESSAGES,
           "validate": v.Range(min=0, max=1_000_000, error="薪资应在 0–1000000 元/月之间 (salary range)"),
           "metadata": {"description": "元/月 (CNY per month)"}}


class JobIntentionSchema(Schema):
    cities = _text_list(30, 10)
    industries = _text_list(50, 10)
    position_types = _text_list(50, 10)
    salary_min = ma.fields.Integer(**_SALARY)
    salary_max = ma.fields.Integer(**_SALARY)

    @ma.validates_schema
    def _salary(self, data, **kwargs):
        low, high = data.get("salary_min"), data.get("salary_max")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("最低薪资不能高于最高薪资 (salary_min > salary_max)", "salary_max")


def _entries(schema, max_items: int) -> ma.fields.List:
    return ma.fields.List(ma.fields.Nested(schema), allow_none=True, error_messages=_MESSAGES,
                          validate=v.Length(max=max_items, error=f"最多 {max_items} 条 (at most {max_items})"))


class SectionsIn(Schema):
    """The sections of a resume; in PATCH each given section replaces the stored one and null clears it."""

    basic_info = ma.fields.Nested(BasicInfoSchema, allow_none=True)
    education = _entries(EducationSchema, 10)
    internships = _entries(InternshipSchema, 20)
    projects = _entries(ProjectSchema, 20)
    skills = _text_list(50, 30)
    certificates = _text_list(100, 30)
    awards = _text_list(200, 30)
    self_evaluation = _text(2000)
    job_intention = ma.fields.Nested(JobIntentionSchema, allow_none=True)


class ResumeCreateIn(SectionsIn):
    kind = ma.fields.String(required=True, error_messages=_MESSAGES,
                            validate=v.OneOf(KINDS, error="简历类型应为 zh、en 或 attachment (unknown kind)"))
    title = _text(100, metadata={"description": "默认按类型命名"})


class ResumeUpdateIn(SectionsIn):
    """PUT replaces every section (absent = empty); PATCH merges top-level sections. kind cannot change."""

    kind = ma.fields.String(error_messages=_MESSAGES,
                            validate=v.OneOf(KINDS, error="简历类型应为 zh、en 或 attachment (unknown kind)"))
    title = _text(100)


class AttachmentUploadIn(Schema):
    file = Upload(required=True, error_messages=_MESSAGES,
                  metadata={"description": "PDF、DOC 或 DOCX，按内容识别类型，≤ 10 MB"})


# --- responses -------------------------------------------------------------------------------------
class AttachmentOut(ma.Schema):
    mime = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    original_name = ma.fields.String(metadata={"description": "上传时的文件名，仅作展示"})
    uploaded_at = ma.fields.DateTime()


class MissingItemOut(ma.Schema):
    section = ma.fields.String(metadata={"description": "section key, e.g. education"})
    label = ma.fields.String(metadata={"description": "中文名称，如 教育经历"})
    points = ma.fields.Integer(metadata={"description": "补全后可得的分数"})
    fields = ma.fields.List(ma.fields.String(), metadata={"description": "basic_info / job_intention 中缺的字段"})
    hint = ma.fields.String(metadata={"description": "给学生看的提示"})


class CompletenessOut(ma.Schema):
    score = ma.fields.Integer(metadata={"description": "0–100"})
    threshold = ma.fields.Integer(metadata={"description": "在线投递所需的最低完整度"})
    deliverable = ma.fields.Boolean()
    missing = ma.fields.List(ma.fields.String(), metadata={"description": "缺少的部分 (section keys)"})
    missing_items = ma.fields.List(ma.fields.Nested(MissingItemOut))
    message = ma.fields.String()


class ResumeSummaryOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    title = ma.fields.String()
    is_default = ma.fields.Boolean()
    completeness = ma.fields.Integer()
    missing = ma.fields.List(ma.fields.String())
    attachment = ma.fields.Nested(AttachmentOut, allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ResumeOut(ResumeSummaryOut):
    basic_info = ma.fields.Nested(BasicInfoSchema)
    education = ma.fields.List(ma.fields.Nested(EducationSchema))
    internships = ma.fields.List(ma.fields.Nested(InternshipSchema))
    projects = ma.fields.List(ma.fields.Nested(ProjectSchema))
    skills = ma.fields.List(ma.fields.String())
    certificates = ma.fields.List(ma.fields.String())
    awards = ma.fields.List(ma.fields.String())
    self_evaluation = ma.fields.String(allow_none=True)
    job_intention = ma.fields.Nested(JobIntentionSchema)
    completeness_detail = ma.fields.Nested(CompletenessOut)
