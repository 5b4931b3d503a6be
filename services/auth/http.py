"""HTTP API of auth (`/api/v1/auth/…`): thin Flask-Smorest views that call the rules in `domain/`."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from cc_kit.config import Settings
from cc_kit.db import Database
from cc_kit.errors import ApiError, ErrorOut
from cc_kit.security import current_principal, require
from cc_kit.webapp import create_service_app, serve_event_catalog

from . import schemas as s
from .config import AuthConfig
from .domain import accounts, employers, login, recovery, registration, roster, staff, tokens
from .domain.captcha import check_captcha, issue_captcha
from .domain.keys import KeyRing, LocalVerifier
from .events import catalog
from .models import SCHOOL_ADMIN, STUDENT, Employer

DESCRIPTION = """账号服务：学生名单、注册、登录、令牌、找回密码、账号设置、用人单位注册与审核、教职工账号、JWKS。

Errors are `{code, message, errors?}`. Captcha: `GET /captcha`, then send `captcha_id` + `captcha_code`.
Changing phone/email: `PATCH /me` stores the new value as pending and sends a code to it;
`POST /me/verify-contact {channel, code}` applies it."""


@dataclass
class AuthContext:
    db: Database
    config: AuthConfig
    keyring: KeyRing


def ctx() -> AuthContext:
    return current_app.extensions["auth"]


blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="账号与身份 (accounts and identity)")


def _captcha(data: dict) -> None:
    c = ctx()
    check_captcha(c.db, data.get("captcha_id"), data.get("captcha_code"), c.config.captcha_bypass_code)


def _admin_school() -> str:
    return current_principal().school_code or ctx().config.default_school_code


# --- public --------------------------------------------------------------------------------------
@blp.route("/captcha")
class CaptchaResource(MethodView):
    @blp.response(200, s.CaptchaOut)
    def get(self):
        """图形验证码 (a new image captcha, PNG data URL; valid 5 minutes, one try)"""
        c = ctx()
        with c.db.write() as session:
            captcha_id, image, ttl = issue_captcha(session, c.config.captcha_ttl)
        return {"captcha_id": captcha_id, "image": image, "expires_in": ttl}


@blp.route("/jwks.json")
class JwksResource(MethodView):
    @blp.response(200, s.JwksOut)
    def get(self):
        """公钥 (JSON Web Key Set that verifies access tokens)"""
        return ctx().keyring.jwks()


@blp.route("/register/verify")
class RegisterVerify(MethodView):
    @blp.arguments(s.RegisterVerifyIn)
    @blp.response(200, s.RegisterVerifyOut)
    @blp.alt_response(404, schema=ErrorOut, description="not_on_roster：学号或姓名不存在")
    @blp.alt_response(409, schema=ErrorOut, description="already_registered")
    @blp.alt_response(400, schema=ErrorOut, description="invalid_captcha")
    def post(self, data):
        """注册第一步：核对名单身份 (roster check → short-lived registration_token)"""
        if data["accept_terms"] is not True:
            raise ApiError("请阅读并同意用户协议和隐私政策 (you must accept the terms)", status=422,
                           code="terms_not_accepted", errors={"accept_terms": ["必须同意协议 (must be true)"]})
        _captcha(data)
        c = ctx()
        with c.db.read() as session:
            return registration.verify_student(
                session, c.keyring, c.config, school_code=data["school_code"],
                graduation_year=data["graduation_year"], student_no=data["student_no"], name=data["name"],
                accept_terms=data["accept_terms"])


@blp.route("/register/complete")
class RegisterComplete(MethodView):
    @blp.arguments(s.RegisterCompleteIn)
    @blp.response(201, s.RegisterCompleteOut)
    @blp.alt_response(409, schema=ErrorOut, description="already_registered / email_taken")
    @blp.alt_response(422, schema=ErrorOut, description="weak_password / validation_error")
    def post(self, data):
        """注册第二步：设置密码、手机、邮箱 (create the student account)"""
        c = ctx()
        return registration.complete_registration(c.db, c.keyring, registration_token=data["registration_token"],
                                                  password=data["password"], phone=data["phone"],
                                                  email=data["email"])


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(s.LoginIn)
    @blp.response(200, s.TokenOut)
    @blp.alt_response(401, schema=ErrorOut, description="invalid_credentials")
    @blp.alt_response(403, schema=ErrorOut, description="employer_not_approved / account_disabled")
    @blp.alt_response(429, schema=ErrorOut, description="account_locked (Retry-After)")
    def post(self, data):
        """登录 (students: student_no + school_code; others: email) → access + refresh token"""
        _captcha(data)
        c = ctx()
        return login.authenticate(c.db, c.keyring, c.config, username=data["username"], password=data["password"],
                                  school_code=data.get("school_code"))


@blp.route("/token/refresh")
class TokenRefresh(MethodView):
    @blp.arguments(s.RefreshIn)
    @blp.response(200, s.TokenOut)
    @blp.alt_response(401, schema=ErrorOut, description="invalid_refresh_token / refresh_token_reused")
    def post(self, data):
        """刷新令牌 (rotates the refresh token; reusing an old one ends the session)"""
        c = ctx()
        return tokens.refresh_session(c.db, c.keyring, c.config, data["refresh_token"])


@blp.route("/logout")
class Logout(MethodView):
    @blp.arguments(s.RefreshIn)
    @blp.response(204)
    def post(self, data):
        """退出登录 (revokes this session's refresh tokens)"""
        with ctx().db.write() as session:
            tokens.logout(session, data["refresh_token"])


@blp.route("/password/forgot")
class PasswordForgot(MethodView):
    @blp.arguments(s.ForgotIn)
    @blp.response(200, s.ForgotOut)
    @blp.alt_response(404, schema=ErrorOut, description="account_not_found")
    def post(self, data):
        """找回密码第一步：学校 + 学号 + 验证码 → reset_ticket"""
        if not ((data.get("school_code") and data.get("student_no")) or data.get("email")):
            raise ApiError("请填写学校和学号（或账号邮箱） (school_code and student_no required)", status=422,
                           code="validation_error", errors={"student_no": ["必填 (required)"]})
        _captcha(data)
        c = ctx()
        with c.db.write() as session:
            return recovery.start_reset(session, c.config, school_code=data.get("school_code"),
                                        student_no=data.get("student_no"), email=data.get("email"))


@blp.route("/password/forgot/send-code")
class PasswordSendCode(MethodView):
    @blp.arguments(s.SendCodeIn)
    @blp.response(200, s.SendCodeOut)
    @blp.alt_response(422, schema=ErrorOut, description="email_mismatch")
    @blp.alt_response(429, schema=ErrorOut, description="code_recently_sent / too_many_codes")
    def post(self, data):
        """找回密码第二步：输入完整注册邮箱 → 邮件验证码 (6 digits, 10 minutes)"""
        c = ctx()
        return recovery.send_code(c.db, c.config, reset_ticket=data["reset_ticket"], email=data["email"])


@blp.route("/password/reset")
class PasswordReset(MethodView):
    @blp.arguments(s.ResetIn)
    @blp.response(200, s.StatusOut)
    @blp.alt_response(400, schema=ErrorOut, description="invalid_code / code_expired / code_used")
    @blp.alt_response(429, schema=ErrorOut, description="too_many_attempts")
    def post(self, data):
        """找回密码第三步：验证码 + 新密码 (all sessions are revoked)"""
        c = ctx()
        return recovery.reset_password(c.db, c.config, reset_ticket=data["reset_ticket"], code=data["code"],
                                       new_password=data["new_password"])


@blp.route("/employers/register")
class EmployerRegister(MethodView):
    @blp.arguments(s.EmployerRegisterIn)
    @blp.response(201, s.EmployerRegisterOut)
    @blp.alt_response(409, schema=ErrorOut, description="employer_exists / email_taken")
    @blp.alt_response(422, schema=ErrorOut, description="invalid_credit_code")
    def post(self, data):
        """用人单位注册（待学校审核） (employer sign-up; pending approval)"""
        return employers.register_employer(ctx().db, **data)


# --- signed-in users -----------------------------------------------------------------------------
@blp.route("/me")
class Me(MethodView):
    @require()
    @blp.response(200, s.MeOut)
    def get(self):
        """我的账号信息 (my account)"""
        with ctx().db.read() as session:
            return accounts.profile(session, accounts.get_active_user(session, current_principal().user_id))

    @require()
    @blp.arguments(s.MePatchIn)
    @blp.response(200, s.MeOut)
    def patch(self, data):
        """修改基本信息；手机/邮箱需验证 (new phone/email get a code; confirm with POST /me/verify-contact)"""
        c = ctx()
        with c.db.write() as session:
            user = accounts.get_active_user(session, current_principal().user_id)
            return accounts.update_profile(session, c.config, user, data)


@blp.route("/me/verify-contact")
class MeVerifyContact(MethodView):
    @require()
    @blp.arguments(s.VerifyContactIn)
    @blp.response(200, s.MeOut)
    def post(self, data):
        """确认手机/邮箱变更 (apply a pending phone/email change with its code)"""
        c = ctx()
        return accounts.verify_contact(c.db, c.config, current_principal().user_id, data["channel"], data["code"])


@blp.route("/me/privacy")
class MePrivacy(MethodView):
    @require(STUDENT)
    @blp.response(200, s.PrivacyOut)
    def get(self):
        """隐私设置 (resume visibility to employers, contact details shown)"""
        with ctx().db.read() as session:
            return accounts.get_privacy(session, current_principal().user_id)

    @require(STUDENT)
    @blp.arguments(s.PrivacyIn)
    @blp.response(200, s.PrivacyOut)
    def put(self, data):
        """修改隐私设置 (public | applied_only | hidden)"""
        with ctx().db.write() as session:
            user = accounts.get_active_user(session, current_principal().user_id)
            return accounts.set_privacy(session, user, data["resume_visibility"], data["show_contact"])


@blp.route("/me/password")
class MePassword(MethodView):
    @require()
    @blp.arguments(s.PasswordChangeIn)
    @blp.response(200, s.StatusOut)
    @blp.alt_response(400, schema=ErrorOut, description="wrong_password")
    def post(self, data):
        """修改密码 (ends every session; log in again)"""
        c = ctx()
        return accounts.change_password(c.db, c.config, current_principal().user_id, data["old_password"],
                                        data["new_password"])


# --- school administration -----------------------------------------------------------------------
@blp.route("/admin/roster")
class AdminRoster(MethodView):
    @require(SCHOOL_ADMIN)
    @blp.response(200, s.RosterImportOut)
    @blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": "CSV（UTF-8/GBK）或 XLSX；表头见 API.md"}}}}}})
    @blp.alt_response(415, schema=ErrorOut, description="not CSV/XLSX")
    def post(self):
        """导入学生名单 (CSV/XLSX upsert by school_code + student_no; per-row errors)"""
        c = ctx()
        upload = request.files.get("file")
        if upload is None:
            raise ApiError("请上传名单文件（字段名 file） (multipart field `file` required)", status=422,
                           code="file_required", errors={"file": ["必填 (required)"]})
        limit = current_app.extensions["cc_settings"].max_upload_bytes
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise ApiError(f"文件过大，最大 {limit // (1024 * 1024)} MB (file too large)", status=413, code="too_large")
        school = _admin_school()
        parsed = roster.parse_roster(data, default_school=school, allowed_school=school,
                                     max_rows=c.config.roster_max_rows)
        with c.db.write() as session:
            return roster.upsert_roster(session, parsed, imported_by=current_principal().user_id)


@blp.route("/admin/employers")
class AdminEmployers(MethodView):
    @require(SCHOOL_ADMIN)
    @blp.arguments(s.EmployerListArgs, location="query")
    @blp.response(200, s.EmployerOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """用人单位列表 (?status=pending|approved|rejected&q=)"""
        with ctx().db.read() as session:
            query = employers.list_employers(session, args.get("status"), args.get("q"))
            pagination_parameters.item_count = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.scalars(query.offset(pagination_parameters.first_item)
                                   .limit(pagination_parameters.page_size)).all()
            return [employers.employer_view(row) for row in rows]


@blp.route("/admin/employers/<int(max=2147483647):employer_id>")
class AdminEmployer(MethodView):
    @require(SCHOOL_ADMIN)
    @blp.response(200, s.EmployerOut)
    def get(self, employer_id):
        """单位详情 (one employer)"""
        with ctx().db.read() as session:
            employer = session.get(Employer, employer_id)
            if employer is None:
                raise ApiError("单位不存在 (employer not found)", status=404, code="employer_not_found")
            return employers.employer_view(employer)


@blp.route("/admin/employers/<int(max=2147483647):employer_id>/approve")
class AdminEmployerApprove(MethodView):
    @require(SCHOOL_ADMIN)
    @blp.response(200, s.EmployerOut)
    def post(self, employer_id):
        """审核通过用人单位 (approve; idempotent)"""
        with ctx().db.write() as session:
            return employers.approve_employer(session, employer_id, current_principal().user_id)


@blp.route("/admin/employers/<int(max=2147483647):employer_id>/reject")
class AdminEmployerReject(MethodView):
    @require(SCHOOL_ADMIN)
    @blp.arguments(s.RejectIn)
    @blp.response(200, s.EmployerOut)
    def post(self, data, employer_id):
        """驳回用人单位注册（需填写原因） (reject with a reason)"""
        with ctx().db.write() as session:
            return employers.reject_employer(session, employer_id, current_principal().user_id, data["reason"])


@blp.route("/admin/users")
class AdminUsers(MethodView):
    @require(SCHOOL_ADMIN)
    @blp.arguments(s.UserListArgs, location="query")
    @blp.response(200, s.UserOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """本校教职工与咨询师账号 (staff accounts of my school)"""
        with ctx().db.read() as session:
            query = staff.list_users(session, role=args.get("role"), school_code=_admin_school(), q=args.get("q"))
            pagination_parameters.item_count = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.scalars(query.offset(pagination_parameters.first_item)
                                   .limit(pagination_parameters.page_size)).all()
            return [staff.user_view(row) for row in rows]

    @require(SCHOOL_ADMIN)
    @blp.arguments(s.AdminUserIn)
    @blp.response(201, s.UserOut)
    @blp.alt_response(409, schema=ErrorOut, description="email_taken")
    def post(self, data):
        """创建学院管理员 / 学校管理员 / 咨询师账号 (create a staff account in my school)"""
        return staff.create_staff(ctx().db, role=data["role"], email=data["email"], name=data["name"],
                                  password=data.get("password"), phone=data.get("phone"),
                                  school_code=_admin_school(), college=data.get("college"),
                                  created_by=current_principal().user_id)


@blp.route("/admin/users/<int(max=2147483647):user_id>")
class AdminUser(MethodView):
    @require(SCHOOL_ADMIN)
    @blp.arguments(s.UserStatusIn)
    @blp.response(200, s.UserOut)
    def patch(self, data, user_id):
        """停用或启用教职工账号 (disable / enable; disabling ends its sessions)"""
        with ctx().db.write() as session:
            return staff.set_user_status(session, user_id, data["status"], current_principal().user_id,
                                         _admin_school())


def create_app(settings: Settings | None = None, config: AuthConfig | None = None):
    """The auth api (gunicorn calls this in every worker; the bootstrap admin is ensured here, race-safe)."""
    settings = settings or Settings.from_env("auth")
    config = config or AuthConfig.from_env(settings)
    db = Database(settings.database_url)
    app, api = create_service_app(settings, title="Campus Careers auth", description=DESCRIPTION, database=db)
    keyring = KeyRing.load(config.keys_dir, config.signing_key_pem)
    app.extensions["cc_verifier"] = LocalVerifier(keyring)
    app.extensions["auth"] = AuthContext(db, config, keyring)
    api.register_blueprint(blp)
    serve_event_catalog(app, catalog)

    @app.after_request
    def _no_store(response):
        # Tokens, tickets and captchas must never sit in a shared cache; the JWKS may.
        if request.path.endswith("/jwks.json"):
            response.headers.setdefault("Cache-Control", "public, max-age=300")
        elif request.path.startswith("/api/v1/auth/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    staff.ensure_admin(db, email=config.bootstrap_admin_email, password=config.bootstrap_admin_password,
                       name=config.bootstrap_admin_name, school_code=config.default_school_code, only_if_none=True)
    return app
