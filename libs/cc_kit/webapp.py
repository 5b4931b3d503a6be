"""The Flask-Smorest app every service api starts from: errors, request ids, health, OpenAPI, JWT."""
from __future__ import annotations

import time
import uuid

from flask import Flask, g, request
from flask_smorest import Api

from .config import Settings
from .errors import register_error_handlers
from .health import register_health
from .logs import request_id_var, setup_logging
from .security import TokenVerifier


def create_service_app(settings: Settings, *, title: str, description: str = "", database=None,
                       version: str = "1.0.0") -> tuple[Flask, Api]:
    """A Flask app + Flask-Smorest Api serving `/api/v1/<service>/…` and `/api/v1/<service>/openapi.json`."""
    setup_logging(settings.service)
    app = Flask(settings.service)
    prefix = f"/api/v1/{settings.service}"
    app.config.update(
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=prefix,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                              "bearerFormat": "JWT"}}},
        },
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["cc_settings"] = settings
    app.extensions["cc_verifier"] = TokenVerifier(settings.jwks_url, settings.jwt_issuer, settings.jwt_audience)
    if database is not None:
        app.extensions["cc_db"] = database

    @app.before_request
    def _request_id():
        rid = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        g.request_id = rid
        g.started = time.perf_counter()
        request_id_var.set(rid)

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    register_health(app, database=database, amqp_uri=settings.amqp_uri)
    api = Api(app)
    register_error_handlers(app)  # after Api(): replaces Flask-Smorest's own HTTPException handler
    return app, api


def serve_event_catalog(app: Flask, *catalogs) -> None:
    """`GET /api/v1/<service>/asyncapi.json`: this service's events; the gateway merges them."""
    from flask import jsonify

    from .events import asyncapi_document

    service = app.extensions["cc_settings"].service

    @app.get(f"/api/v1/{service}/asyncapi.json")
    def asyncapi():
        return jsonify(asyncapi_document(list(catalogs), title=f"Campus Careers {service} events"))
