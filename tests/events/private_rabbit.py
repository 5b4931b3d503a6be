"""A private RabbitMQ node for tests that restart the broker (the machine's node on 5672 is shared)."""
from __future__ import annotations

import os
import resource
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def available() -> bool:
    return (RABBIT_BIN / "rabbitmq-server").exists() or shutil.which("rabbitmq-server") is not None


class PrivateRabbit:
    """`rabbitmq-server -detached` with its own node name, ports, data, logs, cookie and no plugins."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.name = f"cct{secrets.token_hex(4)}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        while self.dist_port == self.port:
            self.dist_port = free_port()
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        home = self.workdir / "home"
        for sub in ("home", "mnesia", "log"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        (self.workdir / "enabled_plugins").write_text("[].\n")
        (self.workdir / "rabbitmq.conf").write_text("loopback_users.guest = true\n")
        (self.workdir / "rabbitmq-env.conf").write_text("")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        self.env.update({
            "HOME": str(home),  # the cookie the server and our rabbitmqctl calls share
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.workdir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.workdir / "log"),
            "RABBITMQ_PID_FILE": str(self.workdir / "rabbit.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.workdir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.workdir / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.workdir / "rabbitmq-env.conf"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        })

    def _exe(self, name: str) -> str:
        path = RABBIT_BIN / name
        return str(path) if path.exists() else (shutil.which(name) or name)

    def ctl(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([self._exe("rabbitmqctl"), "-n", self.name, "-q", *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {result.stdout.strip()} {result.stderr.strip()}"[:2000])
        return result

    def start(self, timeout: float = 90) -> "PrivateRabbit":
        def _raise_nofile():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            target = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))

        subprocess.run([self._exe("rabbitmq-server"), "-detached"], env=self.env, check=True, timeout=60,
                       preexec_fn=_raise_nofile, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.await_startup(timeout)
        return self

    def await_startup(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            result = self.ctl("await_startup", "--timeout", "30", check=False, timeout=40)
            if result.returncode == 0 and _port_open(self.port):
                return
            last = result.stderr.strip() or result.stdout.strip()
            time.sleep(0.5)
        raise RuntimeError(f"private RabbitMQ {self.name} did not start: {last[:500] if last else ''}\n{self.log_tail()}")

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        self.start_app_attempts = 0
        while True:
            self.start_app_attempts += 1
            result = self.ctl("start_app", check=False)
            if result.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"start_app failed: {result.stdout} {result.stderr}"[:2000])
            time.sleep(0.5)  # e.g. eaddrinuse while the old listener's sockets linger
        self.await_startup(timeout)

    def stop(self) -> None:
        try:
            self.ctl("stop", check=False, timeout=60)
        finally:
            pid_file = self.workdir / "rabbit.pid"
            if pid_file.exists():
                try:
                    pid = int(pid_file.read_text().strip())
                    for _ in range(40):
                        os.kill(pid, 0)
                        time.sleep(0.25)
                    os.kill(pid, 9)
                except (ValueError, ProcessLookupError, PermissionError):
                    pass

    def log_tail(self, lines: int = 30) -> str:
        logs = sorted((self.workdir / "log").glob("*.log"))
        out = []
        for log in logs:
            try:
                out.extend(log.read_text(errors="replace").splitlines()[-lines:])
            except OSError:
                pass
        return "\n".join(out[-lines:])
