"""The jobs api: `create_app()` (Flask-Smorest, served by `python -m cc_kit.serve jobs`)."""
from __future__ import annotations

from cc_kit.config import Settings
from cc_kit.db import Database
from cc_kit.rpc import RpcClient
from cc_kit.webapp import create_service_app, serve_event_catalog

from ..config import JobsSettings
from ..domain.text import warm_up
from ..events import catalog
from . import applications, favorites, interviews, positions
from .common import JobsContext

DESCRIPTION = """职位中心 (job center): positions and search, favorites, one-click applications with a frozen
resume snapshot, the employer's inbox, interview invitations (SMS + email, online rooms, .ics).
Errors: `{code, message, errors?}`; lists: `page`, `page_size` (≤ 100), total in `X-Pagination`."""


def create_app(settings: Settings | None = None, jobs_settings: JobsSettings | None = None,
               database: Database | None = None, rpc: RpcClient | None = None):
    settings = settings or Settings.from_env("jobs")
    database = database or Database(settings.database_url)
    app, api = create_service_app(settings, title="Campus Careers jobs", description=DESCRIPTION,
                                  database=database)
    # One RPC client for the whole process (it keeps one long-lived proxy per thread).
    app.extensions["jobs"] = JobsContext(db=database, settings=jobs_settings or JobsSettings.from_env(),
                                         rpc=rpc or RpcClient(settings.amqp_uri, settings.rpc_timeout))
    for module in (positions, favorites, applications, interviews):
        api.register_blueprint(module.blp)
    serve_event_catalog(app, catalog)
    warm_up()
    return app
