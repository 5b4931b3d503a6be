"""Events auth publishes on `auth.events` (payload schemas = the catalog); no secrets ever go into them."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from cc_kit.events import EventCatalog

from .models import DEGREES, STAFF_ROLES, VISIBILITIES

catalog = EventCatalog("auth", "账号与身份：注册、单位审核、名单导入、密码与联系方式变更 (accounts and identity)")

ROLES = ("student", "employer") + STAFF_ROLES


class StudentRegisteredSchema(ma.Schema):
    user_id = fields.Int(required=True)
    school_code = fields.Str(required=True)
    student_no = fields.Str(required=True)
    name = fields.Str(required=True)
    college = fields.Str(required=True)
    major = fields.Str(required=True)
    degree = fields.Str(required=True, validate=validate.OneOf(DEGREES))
    graduation_year = fields.Int(required=True)
    registered_at = fields.DateTime(required=True)


class EmployerRegisteredSchema(ma.Schema):
    employer_id = fields.Int(required=True)
    user_id = fields.Int(required=True)
    company_name = fields.Str(required=True)
    credit_code = fields.Str(required=True)
    registered_at = fields.DateTime(required=True)


class EmployerApprovedSchema(ma.Schema):
    employer_id = fields.Int(required=True)
    user_id = fields.Int(required=True)
    company_name = fields.Str(required=True)
    credit_code = fields.Str(required=True)
    approved_by = fields.Int(required=True)
    approved_at = fields.DateTime(required=True)


class EmployerRejectedSchema(ma.Schema):
    employer_id = fields.Int(required=True)
    user_id = fields.Int(required=True)
    company_name = fields.Str(required=True)
    reason = fields.Str(required=True)
    rejected_by = fields.Int(required=True)
    rejected_at = fields.DateTime(required=True)


class RosterImportedSchema(ma.Schema):
    school_codes = fields.List(fields.Str(), required=True)
    created = fields.Int(required=True)
    updated = fields.Int(required=True)
    unchanged = fields.Int(required=True)
    error_rows = fields.Int(required=True)
    imported_by = fields.Int(allow_none=True)
    imported_at = fields.DateTime(required=True)


class PasswordResetRequestedSchema(ma.Schema):
    """Only that a code was sent: the code itself travels to notify on the private command exchange."""

    user_id = fields.Int(required=True)
    role = fields.Str(required=True, validate=validate.OneOf(ROLES))
    requested_at = fields.DateTime(required=True)


class PasswordChangedSchema(ma.Schema):
    user_id = fields.Int(required=True)
    role = fields.Str(required=True, validate=validate.OneOf(ROLES))
    reason = fields.Str(required=True, validate=validate.OneOf(("changed", "reset")))
    changed_at = fields.DateTime(required=True)


class UserCreatedSchema(ma.Schema):
    user_id = fields.Int(required=True)
    role = fields.Str(required=True, validate=validate.OneOf(ROLES))
    name = fields.Str(required=True)
    school_code = fields.Str(allow_none=True)
    college = fields.Str(allow_none=True)
    created_by = fields.Int(allow_none=True)
    created_at = fields.DateTime(required=True)


class ContactChangedSchema(ma.Schema):
    """A verified change of phone or email; consumers re-read contacts with auth.get_contact."""

    user_id = fields.Int(required=True)
    role = fields.Str(required=True, validate=validate.OneOf(ROLES))
    channel = fields.Str(required=True, validate=validate.OneOf(("email", "phone")))
    changed_at = fields.DateTime(required=True)


class PrivacyChangedSchema(ma.Schema):
    user_id = fields.Int(required=True)
    resume_visibility = fields.Str(required=True, validate=validate.OneOf(VISIBILITIES))
    show_contact = fields.Bool(required=True)
    changed_at = fields.DateTime(required=True)


student_registered = catalog.declare("student_registered", StudentRegisteredSchema,
                                     "学生完成注册 (a student on the roster created an account)")
employer_registered = catalog.declare("employer_registered", EmployerRegisteredSchema,
                                      "用人单位提交注册，待学校审核 (an employer signed up; pending approval)")
employer_approved = catalog.declare("employer_approved", EmployerApprovedSchema,
                                    "学校审核通过用人单位 (the school approved an employer)")
employer_rejected = catalog.declare("employer_rejected", EmployerRejectedSchema,
                                    "学校驳回用人单位注册 (the school rejected an employer, with a reason)")
roster_imported = catalog.declare("roster_imported", RosterImportedSchema,
                                  "学生名单导入完成 (a roster import created or updated entries)")
password_reset_requested = catalog.declare("password_reset_requested", PasswordResetRequestedSchema,
                                           "找回密码验证码已发送 (a password-reset code was sent; no code inside)")
password_changed = catalog.declare("password_changed", PasswordChangedSchema,
                                   "密码已修改或重置 (a password was changed or reset; sessions revoked)")
user_created = catalog.declare("user_created", UserCreatedSchema,
                               "学校管理员创建了教职工/咨询师账号 (a staff or counselor account was created)")
contact_changed = catalog.declare("contact_changed", ContactChangedSchema,
                                  "手机或邮箱经验证后变更 (a verified phone or email change)")
privacy_changed = catalog.declare("privacy_changed", PrivacyChangedSchema,
                                  "学生修改了隐私设置 (a student changed privacy settings)")
