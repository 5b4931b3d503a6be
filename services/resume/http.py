"""HTTP api of the resume service (`/api/v1/resume`): thin Flask-Smorest views over domain.resumes."""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask import Flask, current_app, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint, Page
from werkzeug.exceptions import RequestEntityTooLarge

from cc_kit.config import Settings
from cc_kit.db import Database
from cc_kit.errors import ErrorOut, envelope
from cc_kit.security import current_principal, require
from cc_kit.storage import LocalStorage
from cc_kit.webapp import create_service_app, serve_event_catalog

from .domain import resumes
from .domain.completeness import weights_table
from .domain.pdf import render_resume_pdf
from .domain.sections import MAX_RESUMES_PER_STUDENT
from .events import catalog
from .schemas import (AttachmentUploadIn, CompletenessOut, ResumeCreateIn, ResumeOut, ResumeSummaryOut,
                      ResumeUpdateIn)

DESCRIPTION = f"""学生简历：中文简历、英文简历、附件简历 (zh, en, attachment)。

- 只有简历的主人（学生本人）能读取或修改简历；其他人访问任何简历 id 都得到 404，无从得知它是否存在。
- 每位学生最多保存 {MAX_RESUMES_PER_STUDENT} 份简历（超出 → 409 `resume_limit_reached`）。
- **默认投递简历**：每位学生同一时间只有一份（首份简历自动成为默认；`POST /resumes/{{id}}/default`
  原子切换，并发切换也只留下一份）。**删除默认简历后学生暂无默认简历**：在线投递会被拒绝
  (`resume_incomplete`)，直到学生重新设置默认；其余简历不会被自动选中。同时发布 `default_resume_changed`
  （`resume_id: null`）。
- 附件：PDF、DOC、DOCX，按文件内容识别（不看文件名和 Content-Type），≤ 10 MB（超出 → 413 `file_too_large`，
  其他类型 → 415 `unsupported_file_type`），以生成的名字保存；上传时的文件名仅作展示。
  已随投递冻结的附件在替换或删除简历后仍然保留，用人单位看到的始终是投递时的版本。
- PDF 导出：中文/英文简历（英文简历用英文标题）；附件简历请下载附件。
- 事件（`resume.events`）：resume_created、resume_updated、resume_deleted、default_resume_changed。

## 完整度 (completeness, 0–100)

{weights_table()}
"""

blp = Blueprint("resumes", __name__, url_prefix="/api/v1/resume", description="我的简历 (my resumes)")


@dataclass(frozen=True)
class Runtime:
    """What the views need, built once per process by create_app()."""

    settings: Settings
    db: Database
    storage: LocalStorage


_ERRORS = {
    401: "未登录或令牌无效 (unauthorized, invalid_token, token_expired)",
    403: "只有学生可以使用 (forbidden: students only)",
    404: "简历不存在或不属于你 (resume_not_found)",
}


def _errors(*statuses):
    """OpenAPI only: a bearer token is required, and these error answers (status or (status, text)) exist."""

    def decorator(view):
        for item in (401, 403, *statuses):
            status, description = item if isinstance(item, tuple) else (item, _ERRORS[item])
            view = blp.alt_response(status, schema=ErrorOut, description=description)(view)
        return blp.doc(security=[{"bearerAuth": []}])(view)

    return decorator


def _rt() -> Runtime:
    return current_app.extensions["resume"]


def _me() -> int:
    return current_principal().user_id


@blp.route("/resumes")
class Resumes(MethodView):
    @_errors()
    @blp.response(200, ResumeSummaryOut(many=True))
    @blp.paginate(Page)
    @require("student")
    def get(self):
        """我的简历列表 (my resumes, summaries)"""
        with _rt().db.read() as session:
            return resumes.list_resumes(session, _me())

    @_errors((409, f"已有 {MAX_RESUMES_PER_STUDENT} 份简历 (resume_limit_reached)"))
    @blp.arguments(ResumeCreateIn)
    @blp.response(201, ResumeOut)
    @require("student")
    def post(self, body):
        """新建简历 (create a resume: kind zh|en|attachment, optional title and sections)"""
        with _rt().db.write() as session:
            return resumes.create_resume(session, _me(), body)


@blp.route("/resumes/<int:resume_id>")
class ResumeById(MethodView):
    @_errors(404)
    @blp.response(200, ResumeOut)
    @require("student")
    def get(self, resume_id):
        """查看简历 (a resume with its sections, completeness and is_default)"""
        with _rt().db.read() as session:
            return resumes.get_resume(session, _me(), resume_id)

    @_errors(404)
    @blp.arguments(ResumeUpdateIn)
    @blp.response(200, ResumeOut)
    @require("student")
    def put(self, body, resume_id):
        """整体替换简历内容 (replace every section; absent sections become empty)"""
        with _rt().db.write() as session:
            return resumes.update_resume(session, _me(), resume_id, body, partial=False)

    @_errors(404)
    @blp.arguments(ResumeUpdateIn)
    @blp.response(200, ResumeOut)
    @require("student")
    def patch(self, body, resume_id):
        """修改部分内容 (each given top-level section replaces the stored one; null clears it)"""
        with _rt().db.write() as session:
            return resumes.update_resume(session, _me(), resume_id, body, partial=True)

    @_errors(404)
    @blp.response(204)
    @require("student")
    def delete(self, resume_id):
        """删除简历 (deleting the default leaves the student without one until they choose another)"""
        rt = _rt()
        with rt.db.write() as session:
            orphaned = resumes.delete_resume(session, _me(), resume_id)
        resumes.remove_files(rt.storage, orphaned)


@blp.route("/resumes/<int:resume_id>/completeness")
class ResumeCompleteness(MethodView):
    @_errors(404)
    @blp.response(200, CompletenessOut)
    @require("student")
    def get(self, resume_id):
        """简历完整度及缺少的部分 (score and what is missing, with Chinese labels)"""
        with _rt().db.read() as session:
            return resumes.get_completeness(session, _me(), resume_id)


@blp.route("/resumes/<int:resume_id>/default")
class ResumeDefault(MethodView):
    @_errors(404)
    @blp.response(200, ResumeOut)
    @require("student")
    def post(self, resume_id):
        """设为默认投递简历 (make it the default delivery resume)"""
        with _rt().db.write() as session:
            return resumes.set_default(session, _me(), resume_id)


@blp.route("/resumes/<int:resume_id>/attachment")
class ResumeAttachment(MethodView):
    @_errors(404, (409, "不是附件简历 (wrong_resume_kind)"), (413, "超过 10 MB (file_too_large)"),
             (415, "不是 PDF/DOC/DOCX (unsupported_file_type)"))
    @blp.arguments(AttachmentUploadIn, location="files")
    @blp.response(201, ResumeOut)
    @require("student")
    def post(self, files, resume_id):
        """上传附件简历文件 (PDF/DOC/DOCX by content, ≤ 10 MB; replaces the previous file)"""
        rt = _rt()
        upload = files["file"]
        limit = rt.settings.max_upload_bytes
        data = upload.stream.read(limit + 1)  # one byte more than allowed is enough to refuse it
        return resumes.store_attachment(rt.db, rt.storage, _me(), resume_id, data, upload.filename or "", limit)

    @_errors((404, "简历不存在，或还没有上传附件 (resume_not_found, attachment_not_found)"))
    @blp.response(200, content_type="application/octet-stream",
                  description="the file as uploaded (PDF, DOC or DOCX)")
    @require("student")
    def get(self, resume_id):
        """下载附件简历文件 (download the uploaded file)"""
        rt = _rt()
        with rt.db.read() as session:
            content, mime, name = resumes.read_attachment(session, rt.storage, _me(), resume_id)
        response = send_file(io.BytesIO(content), mimetype=mime, as_attachment=True, download_name=name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


@blp.route("/resumes/<int:resume_id>/pdf")
class ResumePdf(MethodView):
    @_errors(404, (409, "附件简历没有 PDF 导出 (wrong_resume_kind)"))
    @blp.response(200, content_type="application/pdf", description="the resume as a PDF document")
    @require("student")
    def get(self, resume_id):
        """导出 PDF (zh/en resumes; attachment resumes → 409, download the file instead)"""
        with _rt().db.read() as session:
            resume = resumes.resume_for_pdf(session, _me(), resume_id)
        pdf = render_resume_pdf(resume)
        # inline, named after the title (werkzeug adds the RFC 5987 UTF-8 form for Chinese titles)
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=f"{resume['title']}.pdf")


def _drain_request_body(limit: int = 64 * 1024 * 1024) -> None:
    """Read what the client is still sending before answering 413: a server that answers and closes
    while the upload is in flight makes most clients report a reset connection instead of the 413."""
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    remaining = limit
    try:
        while remaining > 0:
            chunk = stream.read(min(64 * 1024, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
    except Exception:  # the client went away: nothing left to be polite to
        return


def _too_large(_err: RequestEntityTooLarge):
    _drain_request_body()
    limit_mb = _rt().settings.max_upload_bytes // (1024 * 1024)
    body = envelope(413, "file_too_large", f"文件超过 {limit_mb} MB 上限 (file too large)")
    return body, 413


def create_app() -> Flask:
    settings = Settings.from_env("resume")
    db = Database(settings.database_url)
    app, api = create_service_app(settings, title="Campus Careers — resume", description=DESCRIPTION, database=db)
    app.extensions["resume"] = Runtime(settings=settings, db=db, storage=LocalStorage(settings.data_dir))
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    api.register_blueprint(blp)
    serve_event_catalog(app, catalog)
    return app
