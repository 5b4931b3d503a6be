"""Fixtures of the event tests: a private RabbitMQ node to restart, a vhost per test, real relay/worker processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pika
import pytest

from cc_kit.testing.infra import create_pg_database, create_vhost, delete_vhost, drop_pg_database
from cc_kit.testing.waiting import wait_until  # noqa: F401 — the events tests import it from here

from .private_rabbit import PrivateRabbit

REPO = Path(__file__).resolve().parents[2]
_SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter):
    """The counts of the fault tests (sent / consumed / effects) show in every run, without -s."""
    if _SUMMARY:
        terminalreporter.section("event backbone figures")
        for line in _SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture
def events_report(request):
    """report(line): printed now (outside capture) and again in the terminal summary."""
    capture = request.config.pluginmanager.getplugin("capturemanager")

    def report(line: str) -> None:
        line = f"[{request.node.name}] {line}"
        _SUMMARY.append(line)
        if capture is not None:
            with capture.global_and_fixture_disabled():
                sys.stdout.write("\n" + line + "\n")
                sys.stdout.flush()
    return report


@pytest.fixture(scope="session")
def private_rabbit(tmp_path_factory):
    """A RabbitMQ node of our own (own name, ports, data dir): the machine's node is shared, never restarted."""
    node = PrivateRabbit(tmp_path_factory.mktemp("rabbit"))
    try:
        node.start()
    except Exception:
        node.stop()
        raise
    yield node
    node.stop()


_DELETIONS: list[threading.Thread] = []


@pytest.fixture(scope="session", autouse=True)
def _vhosts_deleted():
    yield
    for thread in _DELETIONS:
        thread.join(60)


@pytest.fixture
def vhost_uri(_vhosts_deleted):
    """A vhost of its own on the machine's broker for one test, so leftover queues never leak between tests."""
    name, uri = create_vhost()
    yield uri
    # rabbitmqctl takes a second or more: delete in the background, waited for at the end of the session.
    thread = threading.Thread(target=delete_vhost, args=(name,))
    thread.start()
    _DELETIONS.append(thread)


@pytest.fixture
def pg_url():
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'producer.sqlite3'}"


class Processes:
    """Real `python -m …` processes (relay, nameko workers) with their logs; all ended at teardown."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, label: str, module_args: list[str], env: dict) -> subprocess.Popen:
        log_path = self.workdir / f"{label}.log"
        full_env = dict(os.environ)
        full_env.update({"PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO", "DATA_DIR": str(self.workdir / "var")})
        full_env.update(env)
        with open(log_path, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", *module_args], cwd=REPO, env=full_env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((label, proc, log_path))
        return proc

    def relay(self, service: str, database_url: str, amqp_uri: str, label: str = "relay", **env) -> subprocess.Popen:
        return self.start(label, ["cc_kit.relay", service], {
            f"{service.upper()}_DATABASE_URL": database_url, "AMQP_URI": amqp_uri, "RELAY_POLL_INTERVAL": "0.1",
            **env})

    def worker(self, target: str, amqp_uri: str, label: str, **env) -> subprocess.Popen:
        return self.start(label, ["cc_kit.worker", target], {"AMQP_URI": amqp_uri, **env})

    def kill9(self, proc: subprocess.Popen) -> None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def log(self, label: str) -> str:
        return "\n".join(path.read_text(errors="replace") for name, _p, path in self.started if name == label)

    def tails(self) -> str:
        return "\n".join(f"--- {name} (exit {proc.poll()}) ---\n{path.read_text(errors='replace')[-1500:]}"
                         for name, proc, path in self.started)

    def stop_all(self) -> None:
        for _name, proc, _path in self.started:
            if proc.poll() is None:
                proc.terminate()
        for _name, proc, _path in self.started:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def procs(tmp_path):
    group = Processes(tmp_path)
    (tmp_path / "var").mkdir(exist_ok=True)
    yield group
    group.stop_all()




def queue_state(amqp_uri: str, queue: str) -> tuple[int, int] | None:
    """(messages ready, consumers) of a queue, or None while it does not exist."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    except pika.exceptions.AMQPError:
        return None
    try:
        ok = connection.channel().queue_declare(queue, passive=True)
        return ok.method.message_count, ok.method.consumer_count
    except pika.exceptions.ChannelClosedByBroker:
        return None
    finally:
        if connection.is_open:
            connection.close()


def wait_for_consumers(amqp_uri: str, queue: str, consumers: int, procs: Processes, timeout: float = 60) -> None:
    def ready():
        state = queue_state(amqp_uri, queue)
        return state is not None and state[1] >= consumers
    wait_until(ready, timeout, f"{consumers} consumer(s) on {queue}", interval=0.3, on_timeout=procs.tails)
