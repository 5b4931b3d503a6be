"""The whole suite as `make run` starts it (the Procfile under honcho), on free ports, for e2e tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from ..config import DEFAULT_PORTS

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_names(procfile: Path = REPO / "Procfile") -> list[str]:
    names = []
    for line in procfile.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            names.append(line.split(":", 1)[0].strip())
    return names


class Suite:
    """Start with `Suite(tmp_dir, amqp_uri).start()`; `url` is the gateway; `stop()` ends every process."""

    def __init__(self, workdir: Path, amqp_uri: str, *, processes: list[str] | None = None, extra_env=None):
        self.workdir = Path(workdir)
        self.amqp_uri = amqp_uri
        self.processes = processes or procfile_names()
        self.ports = {name: free_port() for name in DEFAULT_PORTS}
        self.data_dir = self.workdir / "var"
        self.log_path = self.workdir / "suite.log"
        self.captcha_bypass = "e2e-pass"
        self.admin_email = "admin@e2e.example"
        self.admin_password = "E2e-Admin#2026"
        self.env = dict(os.environ)
        self.env.update({
            "DATA_DIR": str(self.data_dir),
            "AMQP_URI": amqp_uri,
            "CAPTCHA_BYPASS_CODE": self.captcha_bypass,
            "BOOTSTRAP_ADMIN_EMAIL": self.admin_email,
            "BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            "WEB_CONCURRENCY": "1",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        })
        self.env.pop("AUTH_JWKS_URL", None)
        for name, port in self.ports.items():
            self.env[f"{name.upper()}_PORT"] = str(port)
        if processes and not self.env.get("GATEWAY_SERVICES"):
            # A subset of the Procfile: the gateway routes to (and reports the health of) what runs.
            self.env["GATEWAY_SERVICES"] = ",".join(n[: -len("-api")] for n in self.processes if n.endswith("-api"))
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, timeout: float = 120) -> "Suite":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        honcho = str(Path(sys.executable).parent / "honcho")
        self.proc = subprocess.Popen([honcho, "start", "-f", str(REPO / "Procfile"), *self.processes],
                                     cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the suite exited early; see {self.log_path}:\n{self.tail()}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the suite did not become healthy in {timeout}s:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
