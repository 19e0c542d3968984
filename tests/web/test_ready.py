"""``/ready`` and graceful shutdown (issue #17): ready when the current release is loaded and
the databases answer, 503 with the reasons otherwise (a replica that could not load the new
release keeps serving the previous one and says so); SIGTERM lets an export in flight
finish while new connections are refused."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Secret, Settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential

ROOT = Path(__file__).resolve().parents[2]
EXPORT = "/api/explore/v2.1/catalog/datasets/test-ips-ecoles/exports/csv"


def _served(settings: Settings) -> Settings:
    assert build_release(settings, build_referential_fn=fake_referential).published
    return settings


def test_ready_when_the_release_is_loaded_and_the_databases_answer(
    fixture_settings: Settings,
) -> None:
    settings = _served(fixture_settings)
    with TestClient(create_app(settings)) as client:
        ok = client.get("/ready")
        (settings.var_dir / "usage.sqlite").unlink()
        for extra in settings.var_dir.glob("usage.sqlite-*"):
            extra.unlink()
        (settings.var_dir / "usage.sqlite").mkdir()  # the counters' database is gone
        down = client.get("/ready")
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["statut"] == "pret" and body["verifications"]["usages"]["ok"]
    assert body["verifications"]["release"]["detail"] == ReleaseStore(settings.var_dir).current_id()
    assert ok.headers["cache-control"] == "no-store"
    assert down.status_code == 503 and down.json()["raisons"] == [
        "usages : base injoignable (OperationalError)"
    ]


def test_not_ready_without_release_or_registry(fixture_settings: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(fixture_settings)) as client:
        none = client.get("/ready")
    assert none.status_code == 503 and "Aucune release" in none.json()["raisons"][0]
    settings = _served(fixture_settings).replace(
        scolarite_database_url=Secret(f"sqlite:///{tmp_path / 'absent.sqlite'}")
    )
    with TestClient(create_app(settings)) as client:
        no_registry = client.get("/ready")
    assert no_registry.status_code == 503
    assert no_registry.json()["raisons"] == ["registre : base injoignable (ConnectionError)"]


def test_a_replica_that_cannot_load_the_new_release_says_so(fixture_settings: Settings) -> None:
    settings = _served(fixture_settings)
    store = ReleaseStore(settings.var_dir)
    first = store.current_id()
    with TestClient(create_app(settings)) as client:
        assert client.get("/ready").status_code == 200
        for thread in threading.enumerate():  # the warm-up reads the files: let it finish
            if thread.name == "ardoise-warm-up":
                thread.join(60)
        # one Parquet file of the release damaged on disk…
        path = store.current_path()
        assert path is not None
        parquet = next((path / "data").glob("*.parquet"))
        os.chmod(parquet, 0o644)
        parquet.write_bytes(parquet.read_bytes()[:-10] + b"0123456789")
        os.chmod(parquet, 0o444)
        # …then a switch to it (the holder notices a switch by the link's target: the same
        # release by another spelling, as a new release would be)
        link = settings.var_dir / "current"
        tmp = settings.var_dir / ".current-test"
        os.symlink(f"./releases/{first}", tmp)
        os.replace(tmp, link)
        state = client.get("/ready")
        records = client.get("/api/explore/v2.1/catalog/datasets/test-ips-ecoles/records")
    assert state.status_code == 503
    (reason,) = state.json()["raisons"]
    assert reason.startswith(f"release : {first} servie à la place de la courante")
    assert records.status_code == 200  # the previous one is still served


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read()


def test_an_export_in_flight_survives_sigterm(fixture_settings: Settings) -> None:
    settings = _served(fixture_settings)
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT),
        "ARDOISE_VAR_DIR": str(settings.var_dir),
        "ARDOISE_MIRROR": str(settings.mirror),
        "ARDOISE_CATALOG_DIR": str(settings.catalog_dir),
        "ARDOISE_NODE_MODULES": str(settings.node_modules),
        "ARDOISE_SHUTDOWN_SECONDS": "30",
    }
    log = (settings.var_dir / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.web.slow_server", str(port)],
        cwd=ROOT, env=env, stderr=log,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _, whole = _get(port, EXPORT)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "pas démarré"
                time.sleep(0.3)
        got: list[tuple[int, bytes]] = []
        slow = threading.Thread(target=lambda: got.append(_get(port, EXPORT + "?lent=1")))
        slow.start()
        time.sleep(1.5)  # its first pieces are sent
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(OSError):  # no new connection once draining
            _get(port, "/health", timeout=5)
        slow.join(60)
        # uvicorn re-raises SIGTERM once it has shut down cleanly: the default action ends it
        assert proc.wait(60) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert got == [(200, whole)] and len(whole) > 100
    log.seek(0)
    said = log.read()
    assert "Waiting for connections to close" in said and "Application shutdown complete" in said
