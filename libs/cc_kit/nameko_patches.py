"""Fixes to nameko 2.14 that at-least-once consumers need; applied by cc_kit.worker before a service starts.

nameko acks a handled message with `message.ack()` and only catches amqp's own ConnectionError. When
the broker restarts while acks are being written, the socket raises ConnectionResetError /
BrokenPipeError (OSError) instead, the worker thread dies with it and nameko kills the whole service
container: the process keeps running but consumes nothing, ever again (seen in
tests/events/test_broker_restart.py). An ack that cannot be written needs no handling at all: the
channel is gone, so the broker redelivers the message and the consumer's first_time() skips it.
"""
from __future__ import annotations

import logging

from amqp.exceptions import RecoverableConnectionError
from nameko.messaging import QueueConsumer

log = logging.getLogger("cc_kit.nameko")
_LOST_CONNECTION = (OSError, RecoverableConnectionError)


def _tolerate_lost_connection(method):
    def settle(self, message):
        try:
            return method(self, message)
        except _LOST_CONNECTION as exc:
            log.warning("message %s not settled, the broker connection is gone (%s); it will be redelivered",
                        getattr(message, "delivery_tag", "?"), exc)
    settle.__wrapped__ = method
    settle.__name__ = method.__name__
    return settle


def apply() -> None:
    """Idempotent."""
    for name in ("ack_message", "requeue_message"):
        current = getattr(QueueConsumer, name)
        if not hasattr(current, "__wrapped__"):
            setattr(QueueConsumer, name, _tolerate_lost_connection(current))
