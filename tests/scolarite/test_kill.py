"""Kill the server (SIGKILL) under load: every answer a client received has its audit
entry (committed before the answer), and the chain still verifies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ardoise.scolarite import audit, scopes, tokens
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.extract import import_extract
from ardoise.scolarite.schema import audit as audit_table
from tests.scolarite.conftest import new_registry_url, postgres_base_url
from tests.scolarite.sample import (
    NOW,
    PRIVATE_STRINGS,
    PUPILS,
    SIRET,
    identity_params,
    write_extract,
)

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_kill_under_load_loses_no_answered_entry(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    kind = "postgresql" if postgres_base_url() else "sqlite"
    url = new_registry_url(kind, tmp_path, request)
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    assert import_extract(engine, write_extract(tmp_path / "x.csv", PUPILS), NOW.date()).ok
    _, secret = tokens.create(
        engine, siret=SIRET, intitule="test", scopes=list(scopes.ALL),
        expire_le=NOW.replace(year=2100), limite_par_seconde=100_000,
    )  # fmt: skip
    port = _port()
    log = (tmp_path / "server.log").open("wb")
    env = {**os.environ, "ARDOISE_SCOLARITE_DATABASE_URL": url,
           "ARDOISE_SCOLARITE_ENUMERATION_THRESHOLD": "0", "ARDOISE_VAR_DIR": str(tmp_path)}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "ardoise.scolarite.standalone:create",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    answered: list[tuple[str, int]] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)

        def hammer(k: int) -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
                i = 0
                while not stop.is_set():
                    p = PUPILS[(k + i) % len(PUPILS)]
                    i += 1
                    try:
                        res = client.get(
                            "/v3/men/scolarites/identite",
                            params=identity_params(p),
                            headers={"Authorization": f"Bearer {secret}"},
                        )
                    except Exception:  # the server is gone (reset, refused, protocol)
                        return
                    with lock:
                        answered.append((res.headers.get("X-Request-ID", ""), res.status_code))

        threads = [threading.Thread(target=hammer, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        while time.monotonic() < deadline:
            with lock:
                if len(answered) >= 150:
                    break
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # mid-flight: requests are in progress
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        stop.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    assert len(answered) >= 150
    assert all(rid for rid, _ in answered), sorted({s for rid, s in answered if not rid})
    with engine.connect() as conn:
        stored = dict(conn.execute(select(audit_table.c.request_id, audit_table.c.statut)).all())
    missing = [rid for rid, status in answered if stored.get(rid) != status]
    assert not missing, f"{len(missing)} réponses sans entrée d'audit"
    report = audit.verify(engine)
    assert report.ok, report.problems
    assert len(stored) >= len(answered)
    text = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")
    assert "identite" in text  # the access log is there…
    assert not [s for s in PRIVATE_STRINGS if s in text]  # …without names
    engine.dispose()
