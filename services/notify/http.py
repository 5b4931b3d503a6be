"""The notify api: a user's delivery log and preferences; the template catalog for staff."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from cc_kit.config import Settings
from cc_kit.db import Database
from cc_kit.security import current_principal, require
from cc_kit.webapp import create_service_app, serve_event_catalog

from . import templates
from .domain import log as notification_log
from .domain import preferences
from .events import catalog
from .schemas import (NotificationQuerySchema, NotificationSchema, PreferencesSchema, PreferencesUpdateSchema,
                      TemplateSchema)
from .config import NotifySettings

blp = Blueprint("notify", __name__, url_prefix="/api/v1/notify", description="通知：投递记录、通知偏好、模板")
BEARER = [{"bearerAuth": []}]


def _db() -> Database:
    return current_app.extensions["cc_db"]


def _settings() -> NotifySettings:
    return current_app.extensions["notify_settings"]


@blp.route("/notifications")
class Notifications(MethodView):
    @require()
    @blp.doc(security=BEARER)
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, filters, pagination_parameters):
        """My notification log (staff: anyone's, with filters)"""
        principal = current_principal()
        with _db().read() as session:
            rows, total = notification_log.list_notifications(
                session, viewer_id=principal.user_id, viewer_role=principal.role, filters=filters,
                page=pagination_parameters.page, page_size=pagination_parameters.page_size)
            session.expunge_all()  # serialized after the session is gone
        pagination_parameters.item_count = total
        return rows


@blp.route("/preferences")
class Preferences(MethodView):
    @require()
    @blp.doc(security=BEARER)
    @blp.response(200, PreferencesSchema)
    def get(self):
        """My notification preferences (channels per category, SMS quiet hours, daily push cap)"""
        with _db().read() as session:
            return preferences.as_dict(preferences.load(session, current_principal().user_id, _settings()))

    @require()
    @blp.doc(security=BEARER)
    @blp.arguments(PreferencesUpdateSchema)
    @blp.response(200, PreferencesSchema)
    def put(self, data):
        """Replace my notification preferences"""
        with _db().write() as session:
            return preferences.as_dict(preferences.replace(session, current_principal().user_id, data, _settings()))


@blp.route("/templates")
class Templates(MethodView):
    @require("school_admin")
    @blp.doc(security=BEARER)
    @blp.response(200, TemplateSchema(many=True))
    def get(self):
        """The template catalog with an example rendering of each (school staff)"""
        return templates.catalog()


def create_app():
    settings = Settings.from_env("notify")
    db = Database(settings.database_url)
    app, api = create_service_app(
        settings, title="Campus Careers — notify", database=db,
        description="邮件与短信通知：投递记录、通知偏好、模板目录。其他服务通过 notify.commands 交换机发送命令。")
    app.extensions["notify_settings"] = NotifySettings.from_env()
    api.register_blueprint(blp)
    serve_event_catalog(app, catalog)
    return app
