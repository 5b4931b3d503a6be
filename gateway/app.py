"""The API gateway: `/api/v1/<service>/…` forwarded to each service's api after the token and role
checks and the rate limits; health, merged OpenAPI/AsyncAPI and Swagger UI of its own.

Two ways in, one set of rules. Proxied routes take a thin WSGI path (`ProxyDispatcher`) in front of
Flask: a Flask request context, Request and Response objects per forwarded call measured as much CPU
as the upstream's own work, and the gateway must stay well under that (bench/gateway.py). The routes
that need Flask-Limiter's per-account limits (login, captcha, password reset, registration), the
gateway's own pages and every error not raised by a proxied call go through Flask.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass

from flask import Flask, Response, g, jsonify, redirect, request, send_from_directory
from flask_limiter import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from cc_kit.errors import ApiError, register_error_handlers
from cc_kit.logs import request_id_var, setup_logging
from cc_kit.security import TokenVerifier

from . import aggregate
from .auth import GatewayAuth
from .limits import AUTH_ROUTES, IpLimit, client_ip, create_limiter, limited_auth_view, rate_limited_body
from .proxy import SMALL_BODY, STATUS_LINES, Pools, read_stream, forward
from .routes import rule_for
from .settings import GatewaySettings

log = logging.getLogger("gateway")
access_log = logging.getLogger("gateway.access")

PROXY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
API_PREFIX = "/api/v1/"


@dataclass
class Gateway:
    """What every request of one worker shares: settings, connection pools, token checks, documents."""

    settings: GatewaySettings
    pools: Pools
    control: aggregate.ControlPools
    auth: GatewayAuth
    documents: aggregate.DocumentCache


def _bad_path(path: str) -> bool:
    # Dot segments could make a public prefix reach a guarded route on a server that normalizes paths.
    return any(segment in (".", "..") for segment in path.split("/"))


def request_id_of(environ: dict) -> str:
    rid = environ.get("HTTP_X_REQUEST_ID")
    if not rid or len(rid) > 200:
        rid = uuid.uuid4().hex
    return rid


def prepare(gateway: Gateway, service: str, environ: dict):
    """Checks shared by both ways in: the upstream, the path, the size, the token and the role."""
    settings = gateway.settings
    upstream = settings.upstreams.get(service)
    if upstream is None:
        raise ApiError(f"没有名为 {service} 的服务 (unknown service)", status=404, code="unknown_service")
    subpath = environ.get("PATH_INFO", "")[len(API_PREFIX) + len(service):]
    if _bad_path(subpath):
        raise ApiError("路径无效 (invalid path)", status=400, code="invalid_path")
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit() and int(length) > settings.max_body_bytes:
        raise ApiError(f"请求体过大，上限 {settings.max_body_bytes} 字节 (request body too large)",
                       status=413, code="too_large", max_bytes=settings.max_body_bytes)
    rule = rule_for(service, environ["REQUEST_METHOD"], subpath)
    gateway.auth.check(rule, environ.get("HTTP_AUTHORIZATION"))
    return upstream


def request_body(environ: dict, max_bytes: int):
    """None, the whole body (small), or a generator of blocks (large or chunked: streamed upstream)."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length and length != "0":
        if not length.isdigit():
            raise ApiError("Content-Length 无效 (invalid Content-Length)", status=400, code="bad_request")
        size = int(length)
        if size <= SMALL_BODY:
            data = stream.read(size)
            if len(data) < size:
                raise ApiError("请求体不完整 (request body incomplete)", status=400, code="incomplete_body")
            return data
        return read_stream(stream, size, max_bytes)
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return read_stream(stream, None, max_bytes)
    return None


class ProxyDispatcher:
    """WSGI middleware: forwards `/api/v1/<configured service>/…` itself, hands everything else to Flask."""

    def __init__(self, flask_wsgi, gateway: Gateway, ip_limit: IpLimit, flask_routes: set[tuple[str, str]]):
        self.flask_wsgi = flask_wsgi
        self.gateway = gateway
        self.ip_limit = ip_limit
        self.flask_routes = flask_routes
        self.upstreams = gateway.settings.upstreams
        self.trust_forwarded = gateway.settings.trusted_proxies > 0

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(API_PREFIX):
            return self.flask_wsgi(environ, start_response)
        service = path[len(API_PREFIX):].split("/", 1)[0]
        if service not in self.upstreams or (environ["REQUEST_METHOD"], path.rstrip("/")) in self.flask_routes:
            return self.flask_wsgi(environ, start_response)

        rid = request_id_of(environ)
        request_id_var.set(rid)
        started = time.perf_counter()
        try:
            retry_after = self.ip_limit.check(client_ip(environ))
            if retry_after is not None:
                raise ApiError(rate_limited_body(retry_after)["message"], status=429, code="rate_limited",
                               headers={"Retry-After": str(retry_after)}, retry_after=retry_after)
            upstream = prepare(self.gateway, service, environ)
            body = request_body(environ, self.gateway.settings.max_body_bytes)
            status, headers, body_iter = forward(self.gateway.pools, upstream, environ, rid, body=body,
                                                 trust_forwarded=self.trust_forwarded)
        except ApiError as err:
            status, headers, body_iter = self._error(err)
        except Exception:
            log.exception("gateway error on %s %s", environ["REQUEST_METHOD"], path)
            status, headers, body_iter = self._error(
                ApiError("网关内部错误 (gateway error)", status=500, code="internal_error"))
        if not any(name.lower() == "x-request-id" for name, _ in headers):
            headers.append(("X-Request-ID", rid))
        if self.gateway.settings.access_log:
            access_log.info("%s %s %s", environ["REQUEST_METHOD"], path, status[:3],
                            extra={"status": int(status[:3]), "ms": round((time.perf_counter() - started) * 1000, 2)})
        start_response(status, headers)
        return body_iter

    @staticmethod
    def _error(err: ApiError):
        body = json.dumps(err.to_dict(), ensure_ascii=False).encode("utf-8")
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        headers.extend(err.headers.items())
        return STATUS_LINES.get(err.status, f"{err.status} Error"), headers, [body]


def create_app(settings: GatewaySettings | None = None) -> Flask:
    settings = settings or GatewaySettings.from_env()
    setup_logging("gateway")
    app = Flask("gateway", static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_AS_ASCII=False)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False

    gateway = Gateway(
        settings=settings,
        pools=Pools(settings.upstreams, maxsize=settings.pool_size, connect_timeout=settings.connect_timeout,
                    read_timeout=settings.read_timeout),
        control=aggregate.ControlPools(settings.upstreams),
        auth=GatewayAuth(TokenVerifier(settings.jwks_url, settings.jwt_issuer, settings.jwt_audience)),
        documents=aggregate.DocumentCache(),
    )
    app.extensions["gateway"] = gateway

    @app.before_request
    def _request_id():
        g.request_id = request_id_of(request.environ)
        request_id_var.set(g.request_id)

    @app.after_request
    def _echo_request_id(response):
        if "X-Request-ID" not in response.headers:
            response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    register_error_handlers(app)
    limiter = create_limiter(app, settings)

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(err: RateLimitExceeded):
        return err.response if err.response is not None else Response(status=429)

    def proxy(service: str = "auth", rest: str = ""):
        """The Flask way in: the rate-limited auth routes (and an unknown service's 404)."""
        environ = request.environ
        upstream = prepare(gateway, service, environ)
        body = g.body if "body" in g else request_body(environ, settings.max_body_bytes)
        status, headers, body_iter = forward(gateway.pools, upstream, environ, g.request_id, body=body,
                                             trust_forwarded=settings.trusted_proxies > 0)
        response = Response(body_iter, status=int(status[:3]), headers=headers, direct_passthrough=True)
        if not any(name.lower() == "content-type" for name, _ in headers):
            response.headers.pop("Content-Type", None)
        return response

    app.add_url_rule("/api/v1/<service>/<path:rest>", "proxy", proxy, methods=PROXY_METHODS,
                     provide_automatic_options=False)
    app.add_url_rule("/api/v1/<service>", "proxy_root", proxy, methods=PROXY_METHODS,
                     provide_automatic_options=False)
    flask_routes = set()
    for method, path, fields, failures_only, limit_name in AUTH_ROUTES:
        view = limited_auth_view(limiter, settings, proxy, path, fields, failures_only, limit_name)
        app.add_url_rule(path, view.__name__, view, methods=[method], provide_automatic_options=False)
        flask_routes.add((method, path))
        if method == "GET":
            flask_routes.add(("HEAD", path))

    @app.get("/healthz")
    @limiter.exempt
    def healthz():
        return jsonify(status="ok", service="gateway")

    @app.get("/readyz")
    @limiter.exempt
    def readyz():
        # Ready when it answers: one service down must not take every gateway replica out of rotation.
        return jsonify(status="ready", service="gateway", services=list(settings.upstreams))

    @app.get("/api/v1/health")
    @limiter.exempt
    def health():
        report, healthy = aggregate.health_report(gateway.control, settings.health_timeout, g.request_id)
        response = jsonify(report)
        response.status_code = 200 if healthy else 503
        response.headers["Cache-Control"] = "no-store"
        return response

    doc_timeout = max(settings.health_timeout, 5.0)

    @app.get("/api/openapi.json")
    def openapi():
        return jsonify(gateway.documents.get("openapi", lambda: aggregate.openapi_document(
            gateway.control, doc_timeout, g.request_id)))

    @app.get("/api/events")
    def events():
        return jsonify(gateway.documents.get("asyncapi", lambda: aggregate.asyncapi_document(
            gateway.control, doc_timeout, g.request_id)))

    assets = aggregate.swagger_assets()

    @app.get("/api/docs")
    def docs():
        base = "/api/docs/assets" if assets is not None else aggregate.SWAGGER_CDN
        return Response(aggregate.swagger_page("/api/openapi.json", base), mimetype="text/html")

    @app.get("/api/docs/")
    def docs_slash():
        return redirect("/api/docs", code=308)

    if assets is not None:
        @app.get("/api/docs/assets/<path:filename>")
        def docs_assets(filename):
            return send_from_directory(str(assets), filename, max_age=86400)

    app.wsgi_app = ProxyDispatcher(app.wsgi_app, gateway, IpLimit(limiter, settings.limits["ip"]), flask_routes)
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app
