"""The event catalog: valid AsyncAPI 3.0 (checked against the official JSON Schema), and docs/events.md up to date."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import marshmallow as ma
import pytest

from cc_kit.events import EventCatalog, asyncapi_document, make_envelope, merge_asyncapi
from scripts import gen_event_docs

from . import producer

# The official schema, vendored unchanged (see its "$comment"): no network at test time.
ASYNCAPI_SCHEMA = json.loads((Path(__file__).parent / "asyncapi-3.0.0.schema.json").read_text())


class _Place(ma.Schema):
    city = ma.fields.String(required=True, metadata={"description": "城市"})


class _RichSchema(ma.Schema):
    """Nested, nullable, enum and list fields: the shapes services use."""

    id = ma.fields.Integer(required=True)
    note = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(["accepted", "declined"]))
    place = ma.fields.Nested(_Place, allow_none=True)
    places = ma.fields.List(ma.fields.Nested(_Place))
    at = ma.fields.DateTime(required=True)


def _all_catalogs() -> list[EventCatalog]:
    rich = EventCatalog("evrich", "shapes")
    rich.declare("rich_thing_happened", _RichSchema, "嵌套与可空字段")
    return [*gen_event_docs.discover_catalogs(), producer.catalog, rich]


def _resolve(document: dict, ref: str):
    node = document
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_asyncapi_document_is_valid_asyncapi_3():
    catalogs = _all_catalogs()
    document = asyncapi_document(catalogs)
    errors = sorted(jsonschema.Draft7Validator(ASYNCAPI_SCHEMA).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    for ref in _refs(document):
        assert ref.startswith("#/") and _resolve(document, ref) is not None, ref
    declared = sum(len(catalog.events) for catalog in catalogs)
    assert len(document["channels"]) == len(document["operations"]) == declared
    merged = merge_asyncapi([asyncapi_document([c]) for c in catalogs])
    assert merged["channels"] == document["channels"] and not list(
        jsonschema.Draft7Validator(ASYNCAPI_SCHEMA).iter_errors(merged))


def test_a_broken_document_is_rejected_by_the_same_check():
    """Guards the guard: the vendored schema really constrains channels, operations and AMQP bindings."""
    document = asyncapi_document([producer.catalog])
    document["operations"]["publish_evtest.thing_happened"]["action"] = "publish"  # AsyncAPI 2 wording
    document["channels"]["evtest.thing_happened"]["bindings"]["amqp"]["is"] = "exchange"
    assert len(list(jsonschema.Draft7Validator(ASYNCAPI_SCHEMA).iter_errors(document))) >= 2


def test_every_event_has_the_envelope_channel_and_binding_of_the_contract():
    for catalog in _all_catalogs():
        document = asyncapi_document([catalog])
        for event in catalog:
            key = f"{catalog.service}.{event.name}"
            channel = document["channels"][key]
            assert channel["address"] == event.name
            assert channel["bindings"]["amqp"]["exchange"] == {
                "name": f"{catalog.service}.events", "type": "topic", "durable": True, "autoDelete": False,
                "vhost": "/"}
            payload = document["components"]["messages"][key]["payload"]
            assert set(payload["required"]) == {"specversion", "id", "source", "type", "time", "datacontenttype",
                                                "data"}
            assert payload["properties"]["type"]["const"] == f"cn.campus-careers.{catalog.service}.{event.name}"
            assert document["operations"][f"publish_{key}"]["bindings"]["amqp"]["deliveryMode"] == 2
            assert "#" not in event.name and "*" not in event.name and " " not in event.name


def test_payload_schemas_accept_real_envelopes_and_reject_wrong_ones():
    from datetime import datetime, timezone

    catalog = _all_catalogs()[-1]
    event = catalog.events["rich_thing_happened"]
    payload = asyncapi_document([catalog])["components"]["messages"]["evrich.rich_thing_happened"]["payload"]
    validator = jsonschema.Draft7Validator(payload, format_checker=jsonschema.FormatChecker())
    envelope = make_envelope(event, {"id": 7, "note": None, "status": "accepted", "place": None,
                                     "places": [{"city": "北京"}], "at": datetime.now(timezone.utc)}, subject=7)
    validator.validate(json.loads(json.dumps(envelope)))
    wrong = json.loads(json.dumps(envelope))
    wrong["data"]["status"] = "maybe"
    wrong["data"]["places"] = [{"town": "x"}]
    assert len(list(validator.iter_errors(wrong))) == 2
    with pytest.raises(ValueError, match="does not match its schema"):
        make_envelope(event, {"id": "seven", "status": "accepted", "at": "not a time"})


def test_docs_events_md_is_up_to_date_with_the_declarations():
    expected = gen_event_docs.render(gen_event_docs.discover_catalogs())
    current = gen_event_docs.DOC.read_text(encoding="utf-8") if gen_event_docs.DOC.exists() else ""
    assert current == expected, "docs/events.md is stale: run `.venv/bin/python scripts/gen_event_docs.py`"
    for catalog in gen_event_docs.discover_catalogs():
        for event in catalog:
            assert f"#### {catalog.service}.{event.name}" in current


def test_docs_list_nested_and_nullable_fields_readably():
    rich = _all_catalogs()[-1]
    text = gen_event_docs.render([rich])
    assert "| `place.city` | string | yes | 城市 |" in text
    assert "| `places[].city` | string | yes | 城市 |" in text
    assert "| `note` | string \\| null | no |" in text
    assert "one of `accepted`, `declined`" in text
