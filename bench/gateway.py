"""Gateway overhead: the same routes called directly on a service api and through the gateway, side by side.

    python -m bench.gateway [--seconds 5] [--rounds 3] [--max-requests 200000] [--concurrency 16]
                            [--upstream auto|auth|standin]

Starts, on free loopback ports, an upstream api and `python -m gateway.serve` in front of it, then
loads each route for a fixed time (and at most a fixed number of requests) at concurrency 16, then 1,
alternating direct and gateway runs (the median of --rounds each), and prints requests/s, p50/p99 of
both, what the gateway adds, and the CPU each process spends per request (steadier than rates when
other work shares the machine). The upstream is the real auth api
(`python -m cc_kit.serve auth`, temp DATA_DIR, a token from logging in the bootstrap admin) when the
auth service exists and logs in, else a stand-in built on the same kit stack as every service
(cc_kit.webapp: request id, error envelope, JWT verification) that serves the same two routes.

Load generator: wrk (`apt-get install -y wrk`) when installed; otherwise a Python keep-alive client,
which competes for the same two cores and so understates the ratio (the output says which was used).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import requests

from ._common import Process, base_env, free_port, load, python, wrk_available

ROUTES = [
    ("jwks (public, trivial)", "/api/v1/auth/jwks.json", False),
    ("me (token verified)", "/api/v1/auth/me", True),
]


def create_standin_app():
    """A stand-in for auth's api on the kit's stack: `/api/v1/auth/jwks.json` and `/api/v1/auth/me`."""
    import os

    from flask import jsonify

    from cc_kit.config import Settings
    from cc_kit.security import current_principal, require
    from cc_kit.webapp import create_service_app

    settings = Settings.from_env("auth")
    app, _api = create_service_app(settings, title="bench stand-in for auth")
    jwks = json.loads(Path(os.environ["BENCH_JWKS_FILE"]).read_text())

    @app.get("/api/v1/auth/jwks.json")
    def jwks_json():
        return jsonify(jwks)

    @app.get("/api/v1/auth/me")
    @require()
    def me():
        principal = current_principal()
        return jsonify(id=principal.user_id, role=principal.role, name=principal.name,
                       school_code=principal.school_code)

    return app


def _auth_exists() -> bool:
    return (Path(__file__).resolve().parents[1] / "services" / "auth" / "http.py").exists()


def start_real_auth(workdir: Path, port: int, env_extra: dict) -> tuple[Process, str]:
    """The real auth api; returns it and an access token of the bootstrap admin."""
    admin_email, admin_password, bypass = "bench-admin@bench.example", "Bench#Admin-2026", "bench-pass"
    env = base_env(AUTH_PORT=port, DATA_DIR=workdir / "var-auth", CAPTCHA_BYPASS_CODE=bypass,
                   BOOTSTRAP_ADMIN_EMAIL=admin_email, BOOTSTRAP_ADMIN_PASSWORD=admin_password, **env_extra)
    env.pop("AUTH_JWKS_URL", None)
    proc = Process("auth-api", [python(), "-m", "cc_kit.serve", "auth"], env, workdir)
    base = f"http://127.0.0.1:{port}"
    proc.wait_http(base + "/healthz", timeout=90)
    captcha = requests.get(base + "/api/v1/auth/captcha", timeout=5).json()
    response = requests.post(base + "/api/v1/auth/login", json={
        "username": admin_email, "password": admin_password,
        "captcha_id": captcha.get("captcha_id"), "captcha_code": bypass}, timeout=10)
    response.raise_for_status()
    return proc, response.json()["access_token"]


def start_standin(workdir: Path, port: int) -> tuple[Process, str, str]:
    from cc_kit.testing.infra import TestKeys

    keys = TestKeys(workdir)
    env = base_env(AUTH_PORT=port, DATA_DIR=workdir / "var-standin", AUTH_JWKS_URL=keys.jwks_url,
                   BENCH_JWKS_FILE=keys.jwks_path)
    argv = [python(), "-c", "from cc_kit.serve import _App, gunicorn_options; import sys; "
            "_App('bench.gateway:create_standin_app', gunicorn_options(int(sys.argv[1]))).run()", str(port)]
    proc = Process("standin-auth-api", argv, env, workdir)
    proc.wait_http(f"http://127.0.0.1:{port}/healthz")
    token = keys.token(1, "school_admin", name="压测管理员", school_code="10001")
    return proc, token, keys.jwks_url


def _measure(proc_direct: Process, proc_gw: Process, direct_url: str, via_url: str, header, args,
             concurrency: int, seconds: float):
    """Alternating direct/gateway runs (`--rounds` of each, so both see the same background load);
    the run with the median rate of each side is reported, with CPU per request of each process."""
    directs, vias, cpu_up, cpu_gw = [], [], [], []
    for _ in range(args.rounds):
        before = proc_direct.cpu_seconds()
        run = load(direct_url, requests_total=args.max_requests, concurrency=concurrency, max_seconds=seconds,
                   authorization=header)
        cpu_up.append((proc_direct.cpu_seconds() - before) / max(1, run.requests) * 1000)
        directs.append(run)
        before = proc_gw.cpu_seconds()
        run = load(via_url, requests_total=args.max_requests, concurrency=concurrency, max_seconds=seconds,
                   authorization=header)
        cpu_gw.append((proc_gw.cpu_seconds() - before) / max(1, run.requests) * 1000)
        vias.append(run)

    def median_run(runs):
        return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]

    return median_run(directs), median_run(vias), statistics.median(cpu_up), statistics.median(cpu_gw)


def _row(name, direct, via, cpu_up=None, cpu_gw=None):
    ratio = via.rps / direct.rps if direct.rps else 0.0
    cpu = f"  cpu/req upstream {cpu_up:.2f} ms, gateway {cpu_gw:.2f} ms" if cpu_up is not None else ""
    flags = ""
    if direct.errors or via.errors:
        flags += f"  errors {direct.errors}/{via.errors}"
    if direct.capped or via.capped:
        flags += "  (request cap reached: rate understated)"
    return (f"{name:<26} {direct.rps:>8.0f} {via.rps:>8.0f} {ratio:>6.2f}x "
            f"{direct.p50_ms:>6.2f}/{direct.p99_ms:<7.2f} {via.p50_ms:>6.2f}/{via.p99_ms:<7.2f} "
            f"{via.p50_ms - direct.p50_ms:>+6.2f}/{via.p99_ms - direct.p99_ms:<+7.2f}{cpu}{flags}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="duration of each run at concurrency 16")
    parser.add_argument("--rounds", type=int, default=3, help="alternating direct/gateway runs per figure")
    parser.add_argument("--max-requests", type=int, default=200000, help="cap on requests per measurement")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--upstream", choices=["auto", "auth", "standin"], default="auto")
    args = parser.parse_args(argv)

    processes: list[Process] = []
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        workdir = Path(tmp)
        upstream_port, gateway_port = free_port(), free_port()
        try:
            kind, token, jwks_url, upstream = None, None, None, None
            if args.upstream in ("auto", "auth") and _auth_exists():
                try:
                    upstream, token = start_real_auth(workdir, upstream_port, {})
                    processes.append(upstream)
                    kind = "real auth api (python -m cc_kit.serve auth)"
                except Exception as exc:  # the bench still measures the gateway on the stand-in
                    if args.upstream == "auth":
                        raise
                    print(f"real auth api unusable here ({exc}); using the stand-in", file=sys.stderr)
                    for p in processes:
                        p.stop()
                    processes.clear()
                    upstream_port = free_port()
            if kind is None:
                upstream, token, jwks_url = start_standin(workdir, upstream_port)
                processes.append(upstream)
                kind = "stand-in on the cc_kit service stack" + (
                    "" if args.upstream == "standin" else " (the real auth api is not available)")

            gw_env = base_env(GATEWAY_PORT=gateway_port, AUTH_PORT=upstream_port, GATEWAY_SERVICES="auth",
                              DATA_DIR=workdir / "var-gateway",
                              # measured with the limiter on, but with limits a bench cannot reach
                              GATEWAY_IP_LIMIT="100000000/minute")
            if jwks_url:
                gw_env["AUTH_JWKS_URL"] = jwks_url
            else:
                gw_env.pop("AUTH_JWKS_URL", None)
            gateway = Process("gateway", [python(), "-m", "gateway.serve"], gw_env, workdir)
            processes.append(gateway)
            gateway.wait_http(f"http://127.0.0.1:{gateway_port}/healthz")

            from gateway.serve import gunicorn_options

            opts = gunicorn_options(gateway_port)
            print(f"upstream: {kind}, gunicorn gthread as cc_kit.serve runs every api")
            print(f"gateway: gunicorn {opts['worker_class']} {opts['workers']} workers x {opts['threads']} threads; "
                  f"load: {'wrk' if wrk_available() else 'python threads (wrk not installed: ratios understated)'}, "
                  f"median of {args.rounds} alternating {args.seconds:.0f} s runs, at most {args.max_requests} requests "
                  f"each; loopback only; "
                  f"{os.cpu_count()} cores shared by client, upstream and gateway")
            header_line = (f"{'route':<26} {'direct/s':>8} {'gw/s':>8} {'ratio':>7} {'direct p50/p99':>14} "
                           f"{'gw p50/p99':>14} {'added p50/p99 ms':>15}")
            auth_header = f"Bearer {token}"
            results = []
            for name, path, needs_token in ROUTES:
                direct_url = f"http://127.0.0.1:{upstream_port}{path}"
                via_url = f"http://127.0.0.1:{gateway_port}{path}"
                header = auth_header if needs_token else None
                for url in (direct_url, via_url):  # warm both: connections, pools, key caches
                    status = requests.get(url, headers={"Authorization": header} if header else {}, timeout=5)
                    if status.status_code != 200:
                        raise RuntimeError(f"{url} answered {status.status_code}: {status.text[:200]}")
                    load(url, requests_total=2000, concurrency=args.concurrency, max_seconds=2,
                         authorization=header)
                for concurrency, seconds in ((args.concurrency, args.seconds), (1, max(2, args.seconds / 2))):
                    direct, via, cpu_up, cpu_gw = _measure(upstream, gateway, direct_url, via_url, header, args,
                                                           concurrency, seconds)
                    results.append((f"{name} c={concurrency}", direct, via, cpu_up, cpu_gw))
            print(header_line)
            for row in results:
                print(_row(*row))
            print("c=16 saturates both cores (p50 there is mostly queueing: added p50 = 16/gw_rate - 16/direct_rate);"
                  " c=1 shows the latency the gateway adds to one request.")
        finally:
            for proc in reversed(processes):
                proc.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
