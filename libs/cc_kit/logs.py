"""JSON logs that carry the request id of the HTTP request (or event) being handled."""
from __future__ import annotations

import contextvars
import logging
import os
import sys

from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class _RequestIdFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.service = self.service
        return True


def setup_logging(service: str) -> None:
    """Idempotent: gunicorn workers, nameko runners and tests may all call it."""
    root = logging.getLogger()
    if getattr(root, "_cc_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(service)s",
                                       rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    handler.addFilter(_RequestIdFilter(service))
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    for noisy in ("pika", "kombu", "amqp", "urllib3", "nameko", "jieba", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._cc_configured = True
