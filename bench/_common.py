"""Helpers for the benchmarks: free ports, gunicorn processes started and stopped cleanly, and a load
generator (wrk when installed, else a Python keep-alive client) bounded in request count and time."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import requests

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child process in its own session, logged to a file, stopped with SIGTERM then SIGKILL."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
            try:
                if requests.get(url, timeout=1).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer on {url} within {timeout}s:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by every process of this child's process group."""
        return group_cpu_seconds(self.proc.pid)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


def group_cpu_seconds(pgid: int) -> float:
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after "pid (comm)": state ppid pgrp … utime(12th) stime(13th)
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def base_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({"PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING",
                "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "libs"), env.get("PYTHONPATH", "")])})
    env.update({k: str(v) for k, v in extra.items()})
    return env


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    tool: str
    capped: bool = False

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


_WRK_SCRIPT = r"""
-- wrk runs for -d seconds; the per-thread cap only bounds the count (a run that reaches it is flagged)
local done_count = 0
local limit = tonumber(os.getenv("BENCH_PER_THREAD") or "1000")
local headers_line = os.getenv("BENCH_AUTH")
if headers_line and headers_line ~= "" then wrk.headers["Authorization"] = headers_line end
function response(status, headers, body)
  done_count = done_count + 1
  if done_count >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(url: str, *, requests_total: int, concurrency: int, max_seconds: float,
            authorization: str | None = None, threads: int = 2) -> LoadResult:
    """wrk for `max_seconds` (its -d), at most `requests_total` responses (then it idles, flagged)."""
    threads = max(1, min(threads, concurrency))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    try:
        env = dict(os.environ, BENCH_PER_THREAD=str(max(1, requests_total // threads)),
                   BENCH_AUTH=authorization or "")
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{int(max_seconds)}s", "--timeout", "10s",
             "-s", script.name, url],
            capture_output=True, text=True, env=env, timeout=max_seconds + 30,
        )
    finally:
        os.unlink(script.name)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.split(" ", 1)[1])
            per_thread = max(1, requests_total // threads)
            return LoadResult(data["requests"], data["duration_us"] / 1e6, data["errors"],
                              data["p50_us"] / 1000, data["p99_us"] / 1000, "wrk",
                              capped=data["requests"] >= per_thread * threads)
    raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")


def run_python_client(url: str, *, requests_total: int, concurrency: int, max_seconds: float,
                      authorization: str | None = None) -> LoadResult:
    """Threads, one keep-alive http.client connection each: slower than wrk, so it understates ratios."""
    parsed = urlparse(url)
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    headers = {"Authorization": authorization} if authorization else {}
    per_thread = max(1, requests_total // concurrency)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    deadline = time.monotonic() + max_seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        for _ in range(per_thread):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
            latencies[index].append(time.perf_counter() - started)
        conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - started
    flat = sorted(x for chunk in latencies for x in chunk)
    q = statistics.quantiles(flat, n=100) if len(flat) > 1 else [0.0] * 99
    return LoadResult(len(flat), seconds, sum(errors), q[49] * 1000, q[98] * 1000, "python")


def load(url: str, **kwargs) -> LoadResult:
    if wrk_available():
        return run_wrk(url, **kwargs)
    return run_python_client(url, **kwargs)


def python() -> str:
    return sys.executable
