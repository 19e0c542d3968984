"""A dataset restricted in the control plane's PostgreSQL is hidden by every server process
within about a second (issue #16): two ``ardoise serve`` processes, one database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ardoise.controlplane import datasets, organisations, restrictions
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.permissions import OPERATOR
from ardoise.release.build import build_release
from ardoise.settings import Settings
from tests.fixtures import fake_referential

ROOT = Path(__file__).resolve().parents[2]
DS = "test-ips-ecoles"
PATH = f"/api/explore/v2.1/catalog/datasets/{DS}/records?limit=1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_servers(
    fixture_settings: Settings, postgres_schemas: object
) -> Iterator[tuple[str, list[int]]]:
    assert build_release(fixture_settings, build_referential_fn=fake_referential).published
    url = str(postgres_schemas())  # type: ignore[operator]
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "src"),
        ARDOISE_VAR_DIR=str(fixture_settings.var_dir),
        ARDOISE_MIRROR=str(fixture_settings.mirror),
        ARDOISE_CATALOG_DIR=str(fixture_settings.catalog_dir),
        ARDOISE_CONTROLPLANE_DATABASE_URL=url,
        ARDOISE_ACCESS_LOG="0",
        ARDOISE_USAGE_COUNT="0",
    )
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ardoise.cli", "serve", "--port", str(p)],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        for port, proc in zip(ports, procs, strict=True):
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}{PATH}", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("ardoise serve ne démarre pas")
                time.sleep(0.3)
        yield url, ports
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def test_a_restriction_reaches_every_process_within_a_second(
    two_servers: tuple[str, list[int]],
) -> None:
    url, ports = two_servers
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        organisations.create_organisation(
            conn, OPERATOR, id="depp", name="DEPP", siret="13002526500013", type="direction"
        )
        datasets.declare_dataset(conn, OPERATOR, "depp", DS)
    for port in ports:  # cached answers first: a cache must not outlive the restriction
        assert httpx.get(f"http://127.0.0.1:{port}{PATH}").status_code == 200
    with engine.begin() as conn:
        restrictions.restrict(conn, OPERATOR, DS)
    start = time.monotonic()
    hidden_after: dict[int, float] = {}
    while len(hidden_after) < len(ports) and time.monotonic() - start < 10:
        for port in ports:
            url_of = f"http://127.0.0.1:{port}{PATH}"
            if port not in hidden_after and httpx.get(url_of).status_code == 404:
                hidden_after[port] = time.monotonic() - start
        time.sleep(0.05)
    engine.dispose()
    print(f"restriction seen after {hidden_after}")
    assert len(hidden_after) == len(ports), "a process still serves the restricted dataset"
    # the refresh period is one second; the margin covers a loaded test machine
    assert max(hidden_after.values()) < 2.0, hidden_after
