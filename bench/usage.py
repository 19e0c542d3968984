"""What usage counting costs the cached path (issue #17: ≤ 3 % CPU per request).

One process, two apps over the same small release (written by the tests' fixtures): one
with counting off (``ARDOISE_USAGE_COUNT=0``), one with it on (SQLite store, flush thread
running; each counted round ends with a flush, inside the measured time). Each request is a
direct ASGI call of a records URL already in the response cache, with a browser User-Agent
and a client address that changes every request (the worst case for the HyperLogLog), so
the measure is the server's own CPU for a cache hit, without an HTTP client's cost to
dilute it. Rounds alternate (off, on, off, on…); the line gives the median CPU µs per
request of each side and their ratio, measured in the same run.

A second line (when ``wrk`` is installed) measures the same through HTTP, as served: two
``ardoise serve`` processes (one worker each, counting off and on) over that release, wrk
at 8 connections with a phone's User-Agent on the same cached URL, alternating runs; the CPU
of each server's process group (utime + stime from /proc) divided by the requests it
answered.

    .venv/bin/python bench/usage.py [--requests 5000] [--rounds 7] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from ardoise.release.build import build_release  # noqa: E402
from ardoise.settings import load_settings  # noqa: E402
from ardoise.web.app import create_app  # noqa: E402
from tests.fixtures import fake_referential, write_catalog, write_mirror  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import api as apibench  # noqa: E402

PATH = "/api/explore/v2.1/catalog/datasets/test-ips-ecoles/records"
QUERY = b"limit=5&order_by=uai"
UA = b"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"


async def call(app: Any, i: int) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": QUERY,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", UA), (b"accept", b"*/*")],
        "client": (f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", 40000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def round_cpu(app: Any, n: int, start: int, flush: Any) -> float:
    """CPU seconds per request of n cached calls (and the flush that follows them)."""
    t0 = time.process_time()
    for i in range(start, start + n):
        await call(app, i)
    if flush is not None:
        flush()
    return (time.process_time() - t0) / n


def release(tmp: Path) -> dict[str, Any]:
    mirror, catalog = write_mirror(tmp / "mirror"), write_catalog(tmp / "catalog")
    base = {"mirror": mirror, "catalog_dir": catalog, "var_dir": tmp / "var"}
    build_release(load_settings(environ={}, **base), build_referential_fn=fake_referential)
    return base


async def measure(args: argparse.Namespace, base: dict[str, Any]) -> dict[str, Any]:
    off = create_app(load_settings(environ={}, usage_count=False, **base))
    on = create_app(load_settings(environ={}, **base))
    counter = on.state.usage
    counter.start()
    for app in (off, on):  # the answer is now in each app's response cache
        assert await call(app, 0) == 200
        await round_cpu(app, 500, 0, None)
    sides: dict[str, list[float]] = {"off": [], "on": []}
    for r in range(args.rounds):
        start = (r + 1) * args.requests
        sides["off"].append(await round_cpu(off, args.requests, start, None))
        sides["on"].append(await round_cpu(on, args.requests, start, counter.flush))
    counter.stop()
    calls = sum(c.calls for c in counter.store.counts())
    off_us, on_us = (statistics.median(v) * 1e6 for v in (sides["off"], sides["on"]))
    return {
        "bench": "usage_counting_cached_path",
        "requests_per_round": args.requests,
        "rounds": args.rounds,
        "cpu_us_per_request_off": round(off_us, 2),
        "cpu_us_per_request_on": round(on_us, 2),
        "ratio": round(on_us / off_us, 4),
        "target_ratio": 1.03,
        "counted": calls,
    }


def wrk(port: int, seconds: float) -> int:
    """Requests answered by one wrk run (non-2xx or socket errors stop the bench)."""
    cmd = ["wrk", "-t1", "-c8", f"-d{round(seconds)}s", "-H", f"User-Agent: {UA.decode()}"]
    url = f"http://127.0.0.1:{port}{PATH}?{QUERY.decode()}"
    cmd += ["-s", str(ROOT / "bench" / "wrk_report.lua"), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk n'a rien rendu : {out.stdout[-300:]}{out.stderr[-300:]}")
    report = json.loads(line.removeprefix("WRK_JSON "))
    if sum(report["errors"].values()):
        raise SystemExit(f"wrk : erreurs {report['errors']}")
    return int(report["requests"])


def serve(base: dict[str, Any], count: bool, log: Path) -> Any:
    port = apibench._free_port()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "src"),
        ARDOISE_VAR_DIR=str(base["var_dir"]),
        ARDOISE_MIRROR=str(base["mirror"]),
        ARDOISE_CATALOG_DIR=str(base["catalog_dir"]),
        ARDOISE_PORT=str(port),
        ARDOISE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ARDOISE_WORKERS="1",
        ARDOISE_ACCESS_LOG="0",
        ARDOISE_USAGE_COUNT="1" if count else "0",
    )
    cmd = [sys.executable, "-m", "ardoise.cli", "serve", "--port", str(port)]
    return port, apibench.server(cmd, env, port, "/health", log)


def measure_http(args: argparse.Namespace, base: dict[str, Any], tmp: Path) -> dict[str, Any]:
    hz = os.sysconf("SC_CLK_TCK")
    (off_port, off_ctx), (on_port, on_ctx) = (
        serve(base, c, tmp / f"serve-{c}.log") for c in (False, True)
    )
    sides: dict[str, list[float]] = {"off": [], "on": []}
    with off_ctx as off_proc, on_ctx as on_proc:
        procs = {"off": (off_port, off_proc), "on": (on_port, on_proc)}
        for port, _proc in procs.values():
            wrk(port, 1)  # warm: the answer is in the cache
        for _ in range(args.rounds):
            for side, (port, proc) in procs.items():
                apibench.wait_idle(proc.pid)
                before = apibench._cpu_ticks(proc.pid)
                done = wrk(port, args.seconds)
                apibench.wait_idle(proc.pid)
                sides[side].append((apibench._cpu_ticks(proc.pid) - before) / hz / done)
    off_us, on_us = (statistics.median(v) * 1e6 for v in (sides["off"], sides["on"]))
    return {
        "bench": "usage_counting_cached_path_http",
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "cpu_us_per_request_off": round(off_us, 2),
        "cpu_us_per_request_on": round(on_us, 2),
        "ratio": round(on_us / off_us, 4),
        "target_ratio": 1.03,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=5, help="seconds per wrk run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ardoise-bench-usage-") as tmp:
        base = release(Path(tmp))
        print(json.dumps(asyncio.run(measure(args, base))), flush=True)
        if shutil.which("wrk"):
            print(json.dumps(measure_http(args, base, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
