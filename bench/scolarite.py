"""Scolarité verification API under load (issue #7), with a PostgreSQL registry of
synthetic pupils.

1. a fresh database ``ardoise_bench`` in the server of ``ARDOISE_TEST_POSTGRES_URL``
   (``scripts/postgres.sh``), migrated, filled by the generator (timed: target ≤ 2 min for
   one million pupils);
2. ``uvicorn --factory ardoise.scolarite.standalone:create`` on loopback (``--workers``);
3. wrk (-t2, 16 connections) on ``/health`` (baseline) then on the identity endpoint,
   cycling through 2,000 queries of real registry pupils (90 % found, 10 % not found),
   every call audited and committed before its answer;
4. checks: every answered call has its audit entry, the chain verifies.

Targets: ≥ 1,000 verifications/s and p99 ≤ 25 ms on 2 cores. One JSON line per step.

    .venv/bin/python bench/scolarite.py [--eleves 1000000] [--duration 15] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ardoise.scolarite import audit, scopes, tokens
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.schema import audit as audit_table
from ardoise.scolarite.schema import eleves
from ardoise.scolarite.synthetic import generate
from tests.postgres import postgres_url

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
SIRET = "13002526500013"


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "scolarite", **fields}, ensure_ascii=False), flush=True)


def fresh_database(server_url: str, name: str) -> str:
    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


def sample_paths(engine: Any, n: int, seed: int = 3) -> list[str]:
    rnd = random.Random(seed)
    with engine.connect() as conn:
        rows = conn.execute(
            select(eleves).where(eleves.c.date_sortie.is_(None)).order_by(func.random()).limit(n)
        ).all()
    paths = []
    for r in rows:
        m = r._mapping
        d = m["date_naissance"]
        day = d.day if rnd.random() < 0.9 else (d.day % 28) + 1
        params = [("recipient", SIRET), ("nomNaissance", m["nom_naissance"]),
                  ("prenoms[]", m["prenom1"]), ("sexeEtatCivil", m["sexe"]),
                  ("anneeDateNaissance", str(d.year)), ("moisDateNaissance", str(d.month)),
                  ("jourDateNaissance", str(day)), ("codeEtablissement", m["uai"]),
                  ("anneeScolaire", m["annee_scolaire"])]  # fmt: skip
        paths.append("/v3/men/scolarites/identite?" + urlencode(params))
    return paths


def wait_ready(port: int, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("le serveur ne répond pas")


def run_wrk(port: int, paths: list[str], token: str, seconds: int, conns: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths) + "\n")
    env = {**os.environ, "WRK_PATHS": f.name, "WRK_TOKEN": token,
           "WRK_REPORT": str(HERE / "wrk_report.lua")}  # fmt: skip
    out = subprocess.run(
        ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency",
         "-s", str(HERE / "wrk_scolarite.lua"), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout  # fmt: skip
    os.unlink(f.name)
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK_JSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    seconds_run = figures["duration_us"] / 1e6
    figures["rps"] = round(figures["requests"] / seconds_run, 1)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eleves", type=int, default=1_000_000)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=18731)
    args = ap.parse_args()
    server = postgres_url()
    if not server:
        emit(error="ARDOISE_TEST_POSTGRES_URL absent : lancez `bash scripts/postgres.sh`")
        sys.exit(1)
    if shutil.which("wrk") is None:
        emit(error="wrk absent (apt-get install wrk)")
        sys.exit(1)
    url = fresh_database(server, "ardoise_bench")
    engine = make_engine(url, pool_size=4)
    migrate(engine)
    start = time.perf_counter()
    result = generate(engine, args.eleves, "2025-2026", ROOT / "var" / "current" / "data")
    took = time.perf_counter() - start
    emit(step="generate", pupils=result.pupils, schools=result.schools, source=result.source,
         seconds=round(took, 1), target_seconds=120, ok=took <= 120)  # fmt: skip
    now = datetime.now(UTC)
    _, secret = tokens.create(engine, siret=SIRET, intitule="banc d'essai", scopes=list(scopes.ALL),
                              expire_le=now + timedelta(days=1), limite_par_seconde=10**6)  # fmt: skip
    paths = sample_paths(engine, 2000)
    env = {**os.environ, "ARDOISE_SCOLARITE_DATABASE_URL": url,
           "ARDOISE_SCOLARITE_ENUMERATION_THRESHOLD": "0"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "ardoise.scolarite.standalone:create",
         "--host", "127.0.0.1", "--port", str(args.port), "--workers", str(args.workers),
         "--no-access-log", "--log-level", "warning"],
        env=env, start_new_session=True,
    )  # fmt: skip
    try:
        wait_ready(args.port)
        req = urllib.request.Request(f"http://127.0.0.1:{args.port}{paths[0]}",
                                     headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
        with urllib.request.urlopen(req, timeout=10) as res:
            assert res.status in (200, 404)
        run_wrk(args.port, paths[:200], secret, 3, args.connections)  # warm-up
        with engine.connect() as conn:
            before = conn.execute(select(func.count()).select_from(audit_table)).scalar_one()
        base = run_wrk(args.port, ["/health"], "", args.duration, args.connections)
        emit(step="baseline", path="/health", **base)
        load = run_wrk(args.port, paths, secret, args.duration, args.connections)
        with engine.connect() as conn:
            after = conn.execute(select(func.count()).select_from(audit_table)).scalar_one()
        ok = load["rps"] >= 1000 and load["p99_us"] <= 25_000
        emit(step="verification", path="/v3/men/scolarites/identite", workers=args.workers,
             connections=args.connections, audit_entries=after - before,
             p50_ratio_to_health=round(load["p50_us"] / max(1, base["p50_us"]), 2),
             target_rps=1000, target_p99_ms=25, ok=ok, **load)  # fmt: skip
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    start = time.perf_counter()
    chain = audit.verify(engine)
    emit(step="audit_verify", entries=chain.entries, ok=chain.ok,
         seconds=round(time.perf_counter() - start, 2), problems=list(chain.problems[:3]))  # fmt: skip
    engine.dispose()


if __name__ == "__main__":
    main()
