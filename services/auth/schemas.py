"""marshmallow schemas of the auth HTTP API, one per direction (…In loads a request, …Out dumps a response)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from .domain.common import is_email, is_phone
from .domain.passwords import MAX_LENGTH
from .models import DEGREES, STAFF_ROLES, VISIBILITIES

PHONE = validate.And(validate.Length(max=32), lambda v: is_phone(v) or _fail("手机号格式不正确 (invalid CN mobile)"))
EMAIL = validate.And(validate.Length(max=254), lambda v: is_email(v) or _fail("邮箱格式不正确 (invalid email)"))


def _fail(message: str):
    raise ma.ValidationError(message)


class In(ma.Schema):
    """Request bodies ignore unknown fields (clients may send more), but every known field is typed."""

    class Meta:
        unknown = EXCLUDE

    @ma.pre_load
    def _no_nul_characters(self, data, **kwargs):
        # PostgreSQL cannot store U+0000 in text: refuse it here as bad input instead of failing later.
        if isinstance(data, dict):
            bad = {key: ["不能包含空字符 (NUL character not allowed)"] for key, value in data.items()
                   if isinstance(value, str) and "\x00" in value}
            if bad:
                raise ma.ValidationError(bad)
        return data


def _str(max_len: int, *, required: bool = True, min_len: int = 1, **kwargs):
    return fields.String(required=required, validate=validate.Length(min=min_len, max=max_len), **kwargs)


class CaptchaFields(In):
    captcha_id = _str(64, required=False, load_default=None)
    captcha_code = _str(64, required=False, load_default=None)


class RegisterVerifyIn(CaptchaFields):
    school_code = _str(20, metadata={"example": "10001"})
    graduation_year = fields.Integer(required=True, validate=validate.Range(2000, 2100), metadata={"example": 2026})
    student_no = _str(32, metadata={"example": "2022010101"})
    name = _str(64, metadata={"example": "张三"})
    accept_terms = fields.Boolean(required=True)


class RegisterCompleteIn(In):
    registration_token = _str(4096)
    password = _str(MAX_LENGTH)
    phone = fields.String(required=True, validate=PHONE, metadata={"example": "13800138000"})
    email = fields.String(required=True, validate=EMAIL, metadata={"example": "zhangsan@example.com"})


class LoginIn(CaptchaFields):
    username = _str(254, metadata={"description": "学生：学号（并传 school_code）；其他角色：邮箱"})
    password = _str(MAX_LENGTH)
    school_code = _str(20, required=False, load_default=None, min_len=0)


class RefreshIn(In):
    refresh_token = _str(512)


class ForgotIn(CaptchaFields):
    school_code = _str(20, required=False, load_default=None)
    student_no = _str(32, required=False, load_default=None)
    email = fields.String(required=False, load_default=None, validate=validate.Length(max=254),
                          metadata={"description": "非学生账号（单位、教职工）用邮箱找回"})


class SendCodeIn(In):
    reset_ticket = _str(512)
    email = _str(254)


class ResetIn(In):
    reset_ticket = _str(512)
    code = _str(16)
    new_password = _str(MAX_LENGTH)


class MePatchIn(In):
    name = _str(64, required=False)
    phone = fields.String(validate=PHONE)
    email = fields.String(validate=EMAIL)


class VerifyContactIn(In):
    channel = fields.String(required=True, validate=validate.OneOf(("email", "phone")))
    code = _str(16)


class PrivacyIn(In):
    resume_visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    show_contact = fields.Boolean(required=True)


class PasswordChangeIn(In):
    old_password = _str(MAX_LENGTH)
    new_password = _str(MAX_LENGTH)


class EmployerRegisterIn(In):
    company_name = _str(200, metadata={"example": "深圳市腾讯计算机系统有限公司"})
    credit_code = _str(40, metadata={"example": "9144030071526726XG"})
    contact_name = _str(64)
    email = fields.String(required=True, validate=EMAIL)
    phone = fields.String(required=True, validate=PHONE)
    password = _str(MAX_LENGTH)


class RejectIn(In):
    reason = _str(500)


class EmployerListArgs(In):
    status = fields.String(validate=validate.OneOf(("pending", "approved", "rejected")))
    q = _str(100, required=False)


class AdminUserIn(In):
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    email = fields.String(required=True, validate=EMAIL)
    name = _str(64)
    password = _str(MAX_LENGTH, required=False, load_default=None,
                    metadata={"description": "省略则生成初始密码，在响应中返回一次并邮件通知"})
    phone = fields.String(required=False, load_default=None, validate=PHONE)
    college = _str(100, required=False, load_default=None)


class UserListArgs(In):
    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    q = _str(100, required=False)


class UserStatusIn(In):
    status = fields.String(required=True, validate=validate.OneOf(("active", "disabled")))


# --- responses ------------------------------------------------------------------------------------
class CaptchaOut(ma.Schema):
    captcha_id = fields.String()
    image = fields.String(metadata={"description": "data:image/png;base64,…"})
    expires_in = fields.Integer()


class RowErrorOut(ma.Schema):
    row = fields.Integer(metadata={"description": "表格行号（表头为第 1 行）"})
    student_no = fields.String(allow_none=True)
    message = fields.String()


class RosterImportOut(ma.Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    total_rows = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorOut))


class StudentBriefOut(ma.Schema):
    name = fields.String()
    school_code = fields.String()
    student_no = fields.String()
    college = fields.String()
    major = fields.String()
    degree = fields.String(validate=validate.OneOf(DEGREES))
    graduation_year = fields.Integer()


class RegisterVerifyOut(ma.Schema):
    registration_token = fields.String()
    expires_in = fields.Integer()
    student = fields.Nested(StudentBriefOut)


class RegisterCompleteOut(ma.Schema):
    user_id = fields.Integer()
    role = fields.String()
    name = fields.String()
    school_code = fields.String()
    student_no = fields.String()


class TokenOut(ma.Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_expires_in = fields.Integer()
    role = fields.String()
    user_id = fields.Integer()


class ForgotOut(ma.Schema):
    reset_ticket = fields.String()
    expires_in = fields.Integer()


class SendCodeOut(ma.Schema):
    sent_to = fields.String(metadata={"description": "已发送到的邮箱（部分隐藏）"})
    expires_in = fields.Integer()
    resend_after = fields.Integer()


class StatusOut(ma.Schema):
    status = fields.String()
    message = fields.String()


class EmployerBriefOut(ma.Schema):
    id = fields.Integer()
    company_name = fields.String()
    credit_code = fields.String()
    status = fields.String()
    contact_name = fields.String()
    review_note = fields.String(allow_none=True)


class VerificationOut(ma.Schema):
    channel = fields.String()
    sent_to = fields.String()
    expires_in = fields.Integer()


class MeOut(ma.Schema):
    id = fields.Integer()
    role = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    status = fields.String()
    school_code = fields.String(allow_none=True)
    college = fields.String(allow_none=True)
    student_no = fields.String()
    major = fields.String()
    degree = fields.String()
    graduation_year = fields.Integer()
    gender = fields.String(allow_none=True)
    employer = fields.Nested(EmployerBriefOut)
    pending_contact = fields.Dict(keys=fields.String(), values=fields.String(),
                                  metadata={"description": "待验证的新手机/邮箱（部分隐藏）"})
    verification = fields.List(fields.Nested(VerificationOut),
                               metadata={"description": "本次修改已发送的验证码；用 POST /me/verify-contact 确认"})
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)
    password_changed_at = fields.DateTime(allow_none=True)


class PrivacyOut(ma.Schema):
    resume_visibility = fields.String()
    show_contact = fields.Boolean()


class EmployerRegisterOut(ma.Schema):
    id = fields.Integer()
    status = fields.String()
    user_id = fields.Integer()
    company_name = fields.String()
    credit_code = fields.String()


class EmployerOut(ma.Schema):
    id = fields.Integer()
    company_name = fields.String()
    credit_code = fields.String()
    contact_name = fields.String()
    email = fields.String()
    phone = fields.String()
    status = fields.String()
    review_note = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    user_id = fields.Integer()


class UserOut(ma.Schema):
    id = fields.Integer()
    role = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    school_code = fields.String(allow_none=True)
    college = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)
    initial_password = fields.String(metadata={"description": "仅在未指定密码时返回一次"})


class JwksOut(ma.Schema):
    keys = fields.List(fields.Dict())
