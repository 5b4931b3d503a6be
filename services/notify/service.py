"""notify's nameko worker: consumes send commands, retries due rows with back-off, sends the daily digest."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import eventlet
from eventlet.greenpool import GreenPool
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.messaging import consume
from nameko.rpc import RpcProxy
from nameko.timer import Timer

from cc_kit.nameko_deps import DatabaseProvider

from .domain.commands import InvalidCommand, accept_command
from .domain.delivery import ContactUnavailable, build_digests, claim_due, deliver
from .messaging import send_queue
from .senders import Sender, build_senders
from .config import NotifySettings, poll_interval

log = logging.getLogger(__name__)

# A command that fails for a transient reason (database down) is requeued; wait a little first so
# a broken database does not turn into a hot redelivery loop.
REQUEUE_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class Delivery:
    settings: NotifySettings
    senders: dict[str, Sender]


class DeliveryProvider(DependencyProvider):
    """notify's settings and its mail/SMS senders, built once per worker process."""

    def setup(self):
        settings = NotifySettings.from_env()
        self.delivery = Delivery(settings, build_senders(settings))

    def get_dependency(self, worker_ctx):
        return self.delivery


class PollingTimer(Timer):
    """A nameko timer whose interval is read from the environment when the worker starts."""

    def __init__(self, env_name: str, default: float, **kwargs):
        self.env_name = env_name
        self.default = default
        super().__init__(interval=default, **kwargs)

    def start(self):
        self.interval = poll_interval(self.env_name, self.default)
        super().start()


polling_timer = PollingTimer.decorator


class NotifyService:
    name = "notify"

    db = DatabaseProvider("notify")
    delivery = DeliveryProvider()
    auth = RpcProxy("auth")

    @consume(send_queue, requeue_on_error=True)
    def handle_send_command(self, body):
        """A command from `notify.commands`: recorded (acked only after the commit), then sent."""
        envelope = json.loads(body) if isinstance(body, (bytes, str)) else body
        try:
            to_send = accept_command(self.db, envelope, settings=self.delivery.settings,
                                     resolve_contact=self._resolve_contact)
        except InvalidCommand as exc:
            log.error("dropping a malformed notify command: %s", exc)
            return
        except Exception:
            log.exception("could not record notify command %s; it will be redelivered",
                          envelope.get("id") if isinstance(envelope, dict) else "?")
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)
            raise
        for notification_id in to_send:
            self._deliver(notification_id)

    @polling_timer("NOTIFY_RETRY_POLL_SECONDS", 1.0)
    def retry_due(self):
        """Send the rows whose (re)try is due: back-off retries, quiet-hours SMS, digests, orphaned leases."""
        ids = claim_due(self.db, self.delivery.settings)
        if ids:
            pool = GreenPool(self.delivery.settings.send_concurrency)
            for _ in pool.imap(self._deliver, ids):
                pass

    @polling_timer("NOTIFY_DIGEST_POLL_SECONDS", 60.0)
    def build_daily_digests(self):
        """After the digest hour, one digest per user and channel of the push messages over the cap."""
        created = build_digests(self.db, self.delivery.settings)
        if created:
            log.info("built %d push digests", len(created))

    def _deliver(self, notification_id: int) -> None:
        try:
            deliver(self.db, notification_id, senders=self.delivery.senders, settings=self.delivery.settings,
                    resolve_contact=self._resolve_contact)
        except Exception:
            # The row keeps its lease; when it expires the retry timer sends it.
            log.exception("delivery of notification %s interrupted", notification_id)

    def _resolve_contact(self, user_id: int):
        """auth.get_contact(user_id), with a deadline: nameko's RPC proxy would wait forever."""
        try:
            with eventlet.Timeout(self.delivery.settings.contact_timeout):
                return self.auth.get_contact.call_async(user_id).result()
        except eventlet.Timeout:
            raise ContactUnavailable("auth timed out") from None
        except UnknownService:
            raise ContactUnavailable("auth is not running") from None
        except RemoteError as exc:
            raise ContactUnavailable(f"auth failed: {exc.exc_type}") from None
        except Exception as exc:  # broker connection errors of kombu/amqp
            raise ContactUnavailable(f"{type(exc).__name__}: {exc}") from None
