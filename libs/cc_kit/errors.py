"""The error envelope of API.md, `{code, message, errors?}`, for every 4xx/5xx a service answers."""
from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Stable codes for the statuses a view does not name itself.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class ErrorOut(ma.Schema):
    """OpenAPI schema of the envelope, for `@blp.alt_response(status, schema=ErrorOut)`."""

    code = ma.fields.String(metadata={"description": "stable machine-readable code", "example": "invalid_captcha"})
    message = ma.fields.String(metadata={"description": "中文说明 (English)"})
    errors = ma.fields.Dict(metadata={"description": "per-field messages of a 422"})


class ApiError(Exception):
    """Raised by domain code and views; becomes the JSON envelope with this status."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 errors: dict | None = None, headers: dict | None = None, **extra):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Unprocessable(ApiError):
    status, code = 422, "validation_error"


def envelope(status: int, code: str | None = None, message: str | None = None, **extra) -> dict:
    body = {"code": code or DEFAULT_CODES.get(status, "error"), "message": message or ""}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _flatten_validation(messages) -> dict:
    """webargs nests messages by location ({"json": {...}}); clients want the fields."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    merged: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            merged.update(fields)
        else:
            merged[location] = fields
    return merged


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        response = jsonify(err.to_dict())
        response.status_code = err.status
        for key, value in err.headers.items():
            response.headers[key] = value
        return response

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        data = getattr(err, "data", None) or {}
        status = err.code or 500
        message = data.get("message") or err.description or err.name
        errors = None
        if "messages" in data:
            errors = _flatten_validation(data["messages"])
            message = "请求参数有误 (invalid request fields)"
        elif "errors" in data:
            errors = data["errors"]
        code = data.get("code") or DEFAULT_CODES.get(status, "error")
        if status == 400 and ("json" in str(message).lower() or "invalid json" in str(errors).lower()):
            code = "invalid_json"  # webargs reports a malformed body as messages {"json": ["Invalid JSON body."]}
        response = jsonify(envelope(status, code, str(message), errors=errors))
        response.status_code = status
        headers = data.get("headers") or {}
        if hasattr(err, "get_headers"):
            for key, value in err.get_headers():
                if key.lower() not in ("content-type", "content-length"):
                    headers.setdefault(key, value)
        for key, value in headers.items():
            response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")
        response = jsonify(envelope(500, "internal_error", "服务器内部错误 (internal error)"))
        response.status_code = 500
        return response
