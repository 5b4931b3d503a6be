"""Event declarations, the CloudEvents 1.0 envelope and the AsyncAPI 3.0 document generated from them.

A service declares each event once in its events.py:

    catalog = EventCatalog("auth", "Accounts and identity")
    student_registered = catalog.declare("student_registered", StudentRegisteredSchema, "一名学生完成注册")

and records it in the same transaction as the state change: `record(session, Outbox, student_registered, data)`.

The wire contract (docs/events.md says the same for readers outside the code):
- body: a CloudEvents 1.0 structured JSON envelope {specversion, id, source, type, time, subject?,
  datacontenttype, data}; AMQP content_type stays `application/json` because nameko decodes by it;
- exchange: the durable topic exchange `<service>.events` (nameko's naming), routing key = the
  past-tense event name, delivery_mode 2 (persistent), message_id = the event id;
- at-least-once: a consumer deduplicates by `id` (outbox.first_time).
"""
from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import marshmallow as ma
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
TYPE_PREFIX = "cn.campus-careers"
ASYNCAPI_VERSION = "3.0.0"
AMQP_BINDING_VERSION = "0.3.0"


def exchange_name(service: str) -> str:
    """nameko's own naming, so `@event_handler(service, name)` consumes our events natively."""
    return f"{service}.events"


def event_source(service: str) -> str:
    return f"/campus-careers/{service}"


@dataclass(frozen=True)
class EventType:
    service: str
    name: str
    schema: type[ma.Schema]
    description: str

    @property
    def type(self) -> str:
        return f"{TYPE_PREFIX}.{self.service}.{self.name}"

    @property
    def exchange(self) -> str:
        return exchange_name(self.service)

    @property
    def routing_key(self) -> str:
        return self.name

    def dump(self, data: dict) -> dict:
        """The JSON form of a payload, validated against its declared schema.

        load() first so both Python values (datetime, date) and their JSON forms are accepted;
        a payload that does not match is a bug of the publisher: fail loudly, before commit.
        """
        schema = _schema_instance(self.schema)
        try:
            loaded = schema.load(data)
        except ma.ValidationError as exc:
            raise ValueError(f"payload of {self.name} does not match its schema: {exc.messages}") from exc
        return schema.dump(loaded)


_SCHEMAS: dict[type, ma.Schema] = {}


def _schema_instance(schema_class: type[ma.Schema]) -> ma.Schema:
    """One instance per schema class: building a marshmallow schema costs more than using it."""
    schema = _SCHEMAS.get(schema_class)
    if schema is None:
        schema = _SCHEMAS[schema_class] = schema_class()
    return schema


class EventCatalog:
    def __init__(self, service: str, description: str = ""):
        self.service = service
        self.description = description
        self.events: dict[str, EventType] = {}

    def declare(self, name: str, schema: type[ma.Schema], description: str) -> EventType:
        if name in self.events:
            raise ValueError(f"event {name} declared twice")
        if not name or any(c in name for c in "#* \t\n"):
            raise ValueError(f"event name {name!r} cannot be a routing key; use snake_case, past tense")
        event = EventType(self.service, name, schema, description)
        self.events[name] = event
        return event

    def __iter__(self):
        return iter(self.events.values())

    def asyncapi_channels(self) -> tuple[dict, dict, dict]:
        """(channels, operations, components.messages) of this catalog, AsyncAPI 3.0."""
        channels, operations, messages = {}, {}, {}
        for event in self.events.values():
            key = f"{self.service}.{event.name}"
            messages[key] = {
                "name": event.name,
                "title": event.name,
                "summary": event.description,
                "contentType": CONTENT_TYPE,
                "payload": envelope_jsonschema(event, data_jsonschema(event.schema)),
                "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": event.type,
                                      "bindingVersion": AMQP_BINDING_VERSION}},
            }
            channels[key] = {
                "address": event.name,
                "title": f"{exchange_name(self.service)} / {event.name}",
                "description": event.description,
                "messages": {event.name: {"$ref": f"#/components/messages/{key}"}},
                "bindings": {"amqp": {
                    "is": "routingKey",
                    "exchange": {"name": exchange_name(self.service), "type": "topic", "durable": True,
                                 "autoDelete": False, "vhost": "/"},
                    "bindingVersion": AMQP_BINDING_VERSION}},
            }
            operations[f"publish_{key}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": event.description,
                "messages": [{"$ref": f"#/channels/{key}/messages/{event.name}"}],
                "bindings": {"amqp": {"deliveryMode": 2, "mandatory": False,
                                      "bindingVersion": AMQP_BINDING_VERSION}},
            }
        return channels, operations, messages


def asyncapi_document(catalogs: list[EventCatalog], title: str = "Campus Careers events") -> dict:
    doc = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "Every event is a CloudEvents 1.0 structured JSON envelope (AMQP content type "
                           "`application/json`, message_id = event id), persistent (delivery mode 2), "
                           "published to the durable topic exchange `<service>.events` with routing key = "
                           "the past-tense event name. Delivery is at-least-once: deduplicate by `id`. "
                           "Bind your own durable queue (with `#` for everything); it receives every event "
                           "published after the binding exists.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {"local": {"host": "localhost:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}},
        "channels": {},
        "operations": {},
        "components": {"messages": {}},
    }
    for catalog in catalogs:
        channels, operations, messages = catalog.asyncapi_channels()
        doc["channels"].update(channels)
        doc["operations"].update(operations)
        doc["components"]["messages"].update(messages)
    return doc


def merge_asyncapi(documents: list[dict], title: str = "Campus Careers events") -> dict:
    merged = asyncapi_document([], title)
    for document in documents:
        for key in ("channels", "operations"):
            merged[key].update(document.get(key, {}))
        merged["components"]["messages"].update(document.get("components", {}).get("messages", {}))
    return merged


def envelope_jsonschema(event: EventType, data_schema: dict) -> dict:
    """JSON Schema (draft 7, what AsyncAPI 3.0 payloads use) of the whole envelope of one event."""
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"type": "string", "const": SPECVERSION},
            "id": {"type": "string", "minLength": 1,
                   "description": "unique per event (UUID); consumers deduplicate by it"},
            "source": {"type": "string", "const": event_source(event.service)},
            "type": {"type": "string", "const": event.type},
            "time": {"type": "string", "format": "date-time", "description": "when the change was committed (UTC)"},
            "subject": {"type": "string", "description": "id of the thing the event is about, when there is one"},
            "datacontenttype": {"type": "string", "const": CONTENT_TYPE},
            "data": data_schema,
        },
    }


def data_jsonschema(schema: type[ma.Schema]) -> dict:
    """Self-contained JSON Schema of a payload: nested schemas inlined, OpenAPI-isms made JSON Schema.

    `additionalProperties: false` is dropped on purpose: publishers may add optional fields
    later, and consumers must ignore the fields they do not know.
    """
    spec = APISpec("events", "1", "3.0.3", plugins=[MarshmallowPlugin()])
    converted = spec.plugins[0].converter.schema2jsonschema(schema)
    components = spec.to_dict().get("components", {}).get("schemas", {})
    return _to_json_schema(converted, components, ())


def _to_json_schema(node, components: dict, seen: tuple):
    if isinstance(node, list):
        return [_to_json_schema(item, components, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if node == {"type": "object", "nullable": True}:  # apispec's "nested or null": anyOf[this, $ref]
        return {"type": "null"}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name in seen or name not in components:  # a recursive payload: describe it loosely
            return {"type": "object", "description": f"{name} (recursive)"}
        return _to_json_schema(copy.deepcopy(components[name]), components, seen + (name,))
    out = {}
    for key, value in node.items():
        if key == "additionalProperties" and value is False:
            continue
        if key == "nullable":
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: _to_json_schema(v, components, seen) for k, v in value.items()}
        else:
            out[key] = _to_json_schema(value, components, seen)
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        elif kind is None and "enum" not in out:
            pass  # no type constraint: null is already allowed
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def make_envelope(event: EventType, data: dict, subject: str | None = None, *, event_id: str | None = None,
                  time: datetime | None = None) -> dict:
    envelope = {
        "specversion": SPECVERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": event_source(event.service),
        "type": event.type,
        "time": (time or datetime.now(timezone.utc)).isoformat(),
        "datacontenttype": CONTENT_TYPE,
        "data": event.dump(data),
    }
    if subject is not None:
        envelope["subject"] = str(subject)
    return envelope
