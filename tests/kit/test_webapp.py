"""Every service app answers errors in the envelope of API.md, checks tokens, and reports health."""
import marshmallow as ma
import pytest
from flask.views import MethodView
from flask_smorest import Blueprint

from cc_kit.config import Settings
from cc_kit.db import Database
from cc_kit.errors import Conflict
from cc_kit.security import current_principal, require
from cc_kit.webapp import create_service_app


class ItemIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 20))
    count = ma.fields.Integer(required=True)


@pytest.fixture
def client(service_env, tmp_path):
    settings = Settings.from_env("resume")
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app, api = create_service_app(settings, title="test", database=db)
    blp = Blueprint("items", __name__, url_prefix="/api/v1/resume")

    @blp.route("/items")
    class Items(MethodView):
        @blp.arguments(ItemIn)
        @blp.response(201)
        @require("student")
        def post(self, body):
            if body["name"] == "重复":
                raise Conflict("已存在 (exists)", code="already_exists")
            return {"name": body["name"], "by": current_principal().user_id}

    api.register_blueprint(blp)
    return app.test_client()


def test_success_and_conflict(client, test_keys):
    headers = test_keys.headers(5, "student")
    ok = client.post("/api/v1/resume/items", json={"name": "简历", "count": 1}, headers=headers)
    assert ok.status_code == 201 and ok.get_json() == {"name": "简历", "by": 5}
    assert ok.headers["X-Request-ID"]
    dup = client.post("/api/v1/resume/items", json={"name": "重复", "count": 1}, headers=headers)
    assert dup.status_code == 409 and dup.get_json()["code"] == "already_exists"


def test_validation_errors_are_per_field_422(client, test_keys):
    r = client.post("/api/v1/resume/items", json={"name": "", "count": "many"}, headers=test_keys.headers(5, "student"))
    body = r.get_json()
    assert r.status_code == 422 and body["code"] == "validation_error"
    assert set(body["errors"]) == {"name", "count"}


def test_junk_body_is_4xx(client, test_keys):
    r = client.post("/api/v1/resume/items", data=b"\x00{not json", content_type="application/json",
                    headers=test_keys.headers(5, "student"))
    assert 400 <= r.status_code < 500 and "code" in r.get_json()


def test_auth_errors(client, test_keys):
    assert client.post("/api/v1/resume/items", json={"name": "a", "count": 1}).get_json()["code"] == "unauthorized"
    r = client.post("/api/v1/resume/items", json={"name": "a", "count": 1}, headers=test_keys.headers(5, "employer"))
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"


def test_unknown_route_and_health(client):
    r = client.get("/api/v1/resume/nope")
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok", "broker": "ok"}
    assert client.get("/api/v1/resume/openapi.json").get_json()["info"]["title"] == "test"
