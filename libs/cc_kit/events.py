"""Event declarations, the CloudEvents 1.0 envelope and the AsyncAPI document generated from them.

A service declares each event once in its events.py:

    catalog = EventCatalog("auth", "Accounts and identity")
    student_registered = catalog.declare("student_registered", StudentRegisteredSchema, "一名学生完成注册")

and records it in the same transaction as the state change: `record(session, student_registered, data)`.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import marshmallow as ma
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.openapi import OpenAPIConverter

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"


def exchange_name(service: str) -> str:
    """nameko's own naming, so `@event_handler(service, name)` consumes our events natively."""
    return f"{service}.events"


@dataclass(frozen=True)
class EventType:
    service: str
    name: str
    schema: type[ma.Schema]
    description: str

    @property
    def type(self) -> str:
        return f"cn.campus-careers.{self.service}.{self.name}"

    def dump(self, data: dict) -> dict:
        """Validate the payload against its declared schema; a wrong payload is a bug, fail loudly."""
        schema = self.schema()
        errors = schema.validate(data)
        if errors:
            raise ValueError(f"payload of {self.name} does not match its schema: {errors}")
        return schema.dump(data)


class EventCatalog:
    def __init__(self, service: str, description: str = ""):
        self.service = service
        self.description = description
        self.events: dict[str, EventType] = {}

    def declare(self, name: str, schema: type[ma.Schema], description: str) -> EventType:
        if name in self.events:
            raise ValueError(f"event {name} declared twice")
        event = EventType(self.service, name, schema, description)
        self.events[name] = event
        return event

    def asyncapi_channels(self) -> tuple[dict, dict, dict]:
        """(channels, operations, components.messages) of this catalog, AsyncAPI 3.0."""
        converter = _converter()
        channels, operations, messages = {}, {}, {}
        for event in self.events.values():
            key = f"{self.service}.{event.name}"
            data_schema = converter.schema2jsonschema(event.schema)
            messages[key] = {
                "name": event.name,
                "title": event.name,
                "summary": event.description,
                "contentType": CONTENT_TYPE,
                "payload": envelope_jsonschema(event, data_schema),
            }
            channels[key] = {
                "address": event.name,
                "description": event.description,
                "messages": {event.name: {"$ref": f"#/components/messages/{key}"}},
                "bindings": {"amqp": {"is": "routingKey", "exchange": {
                    "name": exchange_name(self.service), "type": "topic", "durable": True, "autoDelete": False}}},
            }
            operations[f"publish_{key}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": event.description,
            }
        return channels, operations, messages


def asyncapi_document(catalogs: list[EventCatalog], title: str = "Campus Careers events") -> dict:
    doc = {
        "asyncapi": "3.0.0",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "Every event is a CloudEvents 1.0 structured JSON envelope, persistent, published "
                           "to the durable topic exchange `<service>.events` with routing key = event name. "
                           "Bind your own durable queue with `#` to receive everything.",
        },
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
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"type": "string", "const": SPECVERSION},
            "id": {"type": "string", "description": "unique per event; consumers deduplicate by it"},
            "source": {"type": "string", "const": f"/campus-careers/{event.service}"},
            "type": {"type": "string", "const": event.type},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": "string"},
            "datacontenttype": {"type": "string", "const": CONTENT_TYPE},
            "data": data_schema,
        },
    }


def _converter() -> OpenAPIConverter:
    spec = APISpec("events", "1", "3.0.3", plugins=[MarshmallowPlugin()])
    return spec.plugins[0].converter


def make_envelope(event: EventType, data: dict, subject: str | None = None, *, event_id: str | None = None,
                  time: datetime | None = None) -> dict:
    envelope = {
        "specversion": SPECVERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": f"/campus-careers/{event.service}",
        "type": event.type,
        "time": (time or datetime.now(timezone.utc)).isoformat(),
        "datacontenttype": CONTENT_TYPE,
        "data": event.dump(data),
    }
    if subject is not None:
        envelope["subject"] = str(subject)
    return envelope
