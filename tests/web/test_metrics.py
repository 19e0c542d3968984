"""/metrics (issue #17): counts and latency by route family and status, cache hits, the
served release; and under two worker processes, the sum of both."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential

ROOT = Path(__file__).resolve().parents[2]
RECORDS = "/api/explore/v2.1/catalog/datasets/test-ips-ecoles/records"


def _value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and all(
            f'{k}="{v}"' in line for k, v in labels.items()
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_by_route_family_status_and_cache(fixture_settings: Settings) -> None:
    result = build_release(fixture_settings, build_referential_fn=fake_referential)
    with TestClient(create_app(fixture_settings), base_url="http://127.0.0.1:8000") as client:
        before = client.get("/metrics").text
        for _ in range(3):
            assert client.get(RECORDS + "?limit=2").status_code == 200
        # the first, a miss, ran DuckDB: its time is measured
        duckdb = _value(client.get("/metrics").text, "ardoise_duckdb_seconds_count")
        assert client.get("/api/explore/v2.1/catalog/datasets/inconnu/records").status_code == 404
        r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    after = r.text
    grew = _value(after, "ardoise_requests_total", route="records", status="200") - _value(
        before, "ardoise_requests_total", route="records", status="200"
    )
    assert grew == 3
    assert _value(after, "ardoise_requests_total", route="records", status="404") >= 1
    assert _value(after, "ardoise_response_cache_total", result="hit") >= 2
    assert _value(after, "ardoise_request_duration_seconds_count", route="records") >= 4
    assert _value(after, "ardoise_release_served", release=str(result.release_id)) == 1
    assert "ardoise_exports_in_flight" in after
    queried = duckdb - _value(before, "ardoise_duckdb_seconds_count")
    assert queried >= 1 and _value(after, "ardoise_duckdb_seconds_sum") > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_metrics_are_summed_over_worker_processes(fixture_settings: Settings) -> None:
    build_release(fixture_settings, build_referential_fn=fake_referential)
    port = _free_port()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "src"),
        ARDOISE_VAR_DIR=str(fixture_settings.var_dir),
        ARDOISE_MIRROR=str(fixture_settings.mirror),
        ARDOISE_CATALOG_DIR=str(fixture_settings.catalog_dir),
        ARDOISE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ARDOISE_ACCESS_LOG="0",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cmd = [sys.executable, "-m", "ardoise.cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("ardoise serve --workers 2 ne démarre pas")
            time.sleep(0.3)
        n = 40  # new connections: both workers answer some
        for _ in range(n):
            with httpx.Client() as c:
                assert c.get(f"http://127.0.0.1:{port}{RECORDS}").status_code == 200
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
        assert _value(text, "ardoise_requests_total", route="records", status="200") == n
        pids = set(re.findall(r'pid="(\d+)"', text))
        assert len(pids) >= 1  # the served-release gauge, one line per live worker
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)
