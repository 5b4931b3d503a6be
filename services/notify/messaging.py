"""The command queue notify consumes: durable `notify.send`, bound with `#` to the topic exchange `notify.commands`.

The relay declares the same queue (bound with `send`) before it publishes the first command, so
commands wait even if notify has never run; the `#` binding takes any routing key a caller might use.
"""
from __future__ import annotations

from kombu import Exchange, Queue

from cc_kit.notifications import NOTIFY_EXCHANGE, NOTIFY_EXCHANGE_TYPE, NOTIFY_QUEUE

commands_exchange = Exchange(NOTIFY_EXCHANGE, type=NOTIFY_EXCHANGE_TYPE, durable=True, auto_delete=False)
send_queue = Queue(NOTIFY_QUEUE, exchange=commands_exchange, routing_key="#", durable=True, auto_delete=False)
