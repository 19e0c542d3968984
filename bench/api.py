"""API benchmark (issue #14): Ardoise under load against Datasette serving the same table.

The query shapes of bench/api_variants.py over the IPS of écoles (fr-en-ips-ecoles-ap2022,
97,080 rows), each cycled over its distinct variants by the load generator (>= 100; 1,000
for point lookups): filter + sort + page, point lookups (where, refine, record by id),
group_by with aggregates, facets, ``limit=0`` counts; and the full CSV export. Each line
gives rps, p50, p99, the server's CPU per request (utime + stime of its process group over
the run, from /proc) and the number of variants; the summary gives the ratios to Datasette
measured in the same run. Server and load generator are pinned to different cores with
taskset when it is installed (``--server-cpus``/``--client-cpus``). The baseline is Datasette (``--immutable``, indexes on the filtered
columns) serving a SQLite file made from the same Parquet of the release, measured in the same
run on the same machine, one server at a time on loopback. Load: wrk (-t2 -c16) with
bench/wrk_report.lua, or a Python asyncio+httpx generator when wrk is missing. Ardoise is
measured with its response cache off (the one the targets are judged on) and on, and with
2 uvicorn workers unless ``--workers 1``. The CSV export is downloaded N times in a row
(bytes/s); a soak loop of exports samples the server's RSS. Prints JSON lines.

    .venv/bin/python bench/api.py [--duration 10] [--soak-seconds 300] [--var-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import http.client
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import api_variants  # noqa: E402

DATASET = "fr-en-ips-ecoles-ap2022"
TABLE = "ips_ecoles"
INDEXED = ("academie", "rentree_scolaire", "code_du_departement", "secteur", "uai")
LOAD_QUERIES = ("academie_top20", "group_by_departement", "facet_secteur")  # answers checked
# the shapes' targets: Ardoise's rps over Datasette's on the same variants
TARGET_RATIO = {
    "records_filter_sort": 2,
    "point_where": 2,
    "point_refine": 2,
    "record_by_id": 2,
    "group_by": 10,
    "facet": 10,
    "count_only": 10,
}
BENCH_VENV = ROOT / ".venv-bench"

_ODS = f"/api/explore/v2.1/catalog/datasets/{DATASET}"
ARDOISE = {
    "academie_top20": f"{_ODS}/records?"
    + urlencode({"where": 'academie="LYON"', "order_by": "ips desc", "limit": 20}, quote_via=quote),
    "group_by_departement": f"{_ODS}/records?"
    + urlencode(
        {
            "select": "code_du_departement,count(*) as n,avg(ips) as m",
            "group_by": "code_du_departement",
            "limit": 200,
        },
        quote_via=quote,
    ),
    "facet_secteur": f"{_ODS}/facets?facet=secteur",
    "csv_export": f"{_ODS}/exports/csv",
}
_GROUP_SQL = (
    f"select code_du_departement, count(*) as n, avg(ips) as m from {TABLE} "
    "group by code_du_departement order by code_du_departement limit 200"
)
DATASETTE = {
    "academie_top20": f"/ips/{TABLE}.json?academie=LYON&_sort_desc=ips&_size=20&_shape=objects",
    "group_by_departement": "/ips.json?"
    + urlencode({"sql": _GROUP_SQL, "_shape": "objects"}, quote_via=quote),
    "facet_secteur": f"/ips/{TABLE}.json?_facet=secteur&_size=0",
    "csv_export": f"/ips/{TABLE}.csv?_stream=on&_size=max",
}
# Ardoise's other full exports, against the absolute targets (MB/s of output;
# Datasette streams CSV only): JSON, JSONL >= 50, Parquet >= 200 (issue #14).
EXPORTS = {
    "json_export": (f"{_ODS}/exports/json", 50.0),
    "jsonl_export": (f"{_ODS}/exports/jsonl", 50.0),
    "parquet_export": (f"{_ODS}/exports/parquet", 200.0),
}


def app_factory() -> Any:
    """ASGI app for ``uvicorn --factory --app-dir bench api:app_factory`` (several workers)."""
    from ardoise.settings import load_settings
    from ardoise.web.app import create_app

    return create_app(load_settings())


# --- servers -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@contextmanager
def server(
    cmd: list[str], env: dict[str, str], port: int, ready: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server in its own process group, wait for ``ready``, kill the group at exit."""
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True, cwd=ROOT
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"le serveur s'est arrêté (code {proc.returncode}), voir {log}")
            try:
                if _get(port, ready, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"le serveur ne répond pas sur {ready}, voir {log}")
            time.sleep(0.3)
        yield proc
    finally:
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _group(pgid: int) -> list[int]:
    """Pids of a server's process group (uvicorn's workers included)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def _rss_mb(pgid: int) -> float | None:
    """Resident memory of the whole process group, in MB (VmRSS from /proc)."""
    total = 0
    for pid in _group(pgid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024 if total else None


def _cpu_ticks(pgid: int) -> int:
    ticks = 0
    for pid in _group(pgid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def wait_idle(pgid: int, timeout: float = 60) -> None:
    """wrk stops with requests in flight; let the server finish them before the next run."""
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout
    before = _cpu_ticks(pgid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _cpu_ticks(pgid)
        if now - before < 0.05 * hz:  # under 10 % of one core for half a second
            return
        before = now


# --- data ----------------------------------------------------------------------------------


def release_parquet(var_dir: Path, log: Path) -> Path:
    parquet = var_dir / "current" / "data" / f"{DATASET}.parquet"
    if not parquet.is_file():
        env = dict(os.environ, ARDOISE_VAR_DIR=str(var_dir))
        with open(log, "ab") as out:
            subprocess.run(
                [str(ROOT / ".venv" / "bin" / "ardoise"), "ingest"],
                env=env,
                stdout=out,
                stderr=out,
                timeout=900,
                check=False,
            )
    if not parquet.is_file():
        raise SystemExit(f"la release n'a pas produit {parquet}, voir {log}")
    return parquet


def build_sqlite(parquet: Path, db: Path) -> int:
    """Official columns only; ips and the other doubles as REAL; indexes on filtered columns."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(parquet)
    table = table.select([n for n in table.column_names if not n.startswith("_")])
    decl = []
    for f in table.schema:
        kind = (
            "INTEGER"
            if pa.types.is_integer(f.type)
            else "REAL"
            if pa.types.is_floating(f.type)
            else "TEXT"
        )
        pk = (
            f.name == "num_ligne"
            and kind == "INTEGER"
            and pc.count_distinct(table[f.name]).as_py() == table.num_rows
        )
        decl.append(f'"{f.name}" {kind}' + (" PRIMARY KEY" if pk else ""))
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE {TABLE} ({', '.join(decl)})")
    marks = ", ".join("?" * table.num_columns)
    for batch in table.to_batches(20_000):
        con.executemany(
            f"INSERT INTO {TABLE} VALUES ({marks})",
            zip(*(c.to_pylist() for c in batch.columns), strict=True),
        )
    for col in INDEXED:
        con.execute(f'CREATE INDEX "idx_{col}" ON {TABLE} ("{col}")')
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return table.num_rows


# --- answers: both sides must compute the same thing ---------------------------------------


def answers(port: int, paths: dict[str, str], side: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in LOAD_QUERIES:
        status, body = _get(port, paths[q])
        if status != 200:
            raise SystemExit(f"{side} {q}: HTTP {status} {body[:300]!r}")
        data = json.loads(body)
        if side == "ardoise" and q == "facet_secteur":
            out[q] = sorted((f["value"], f["count"]) for f in data["facets"][0]["facets"])
        elif side == "ardoise":
            rows = data["results"]
            out[q] = (
                [r["ips"] for r in rows]
                if q == "academie_top20"
                else sorted((r["code_du_departement"], r["n"], round(r["m"], 6)) for r in rows)
            )
        elif q == "facet_secteur":
            facet = data["facet_results"]
            facet = facet.get("results", facet)["secteur"]  # 0.65 vs 1.0 shapes
            out[q] = sorted((f["value"], f["count"]) for f in facet["results"])
        else:
            rows = data["rows"]
            out[q] = (
                [r["ips"] for r in rows]
                if q == "academie_top20"
                else sorted((r["code_du_departement"], r["n"], round(r["m"], 6)) for r in rows)
            )
    return out


# --- load ----------------------------------------------------------------------------------


@contextmanager
def ardoise_serve(
    var_dir: Path, log: Path, *, workers: int, cache: bool = True
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``ardoise serve`` on a free loopback port over ``var_dir`` (no access log; response
    and page caches off when ``cache`` is false): (port, process), stopped at exit."""
    port = _free_port()
    env = dict(
        os.environ,
        ARDOISE_VAR_DIR=str(var_dir),
        ARDOISE_PORT=str(port),
        ARDOISE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ARDOISE_WORKERS=str(workers),
        ARDOISE_ACCESS_LOG="0",
    )
    env.pop("ARDOISE_RESPONSE_CACHE_ENTRIES", None)
    env.pop("ARDOISE_PAGE_CACHE_ENTRIES", None)
    if not cache:  # the API's answers and the dashboard's pages (documents stay memoised)
        env["ARDOISE_RESPONSE_CACHE_ENTRIES"] = "0"
        env["ARDOISE_PAGE_CACHE_ENTRIES"] = "0"
    cmd = [str(ROOT / ".venv" / "bin" / "ardoise"), "serve", "--port", str(port)]
    with server(cmd, env, port, "/health", log) as proc:
        yield port, proc


def load_groups(
    port: int,
    proc: subprocess.Popen[bytes],
    paths: dict[str, list[str]],
    load: Any,
    *,
    duration: float,
    warmup: float,
    connections: int,
    threads: int,
) -> dict[str, dict[str, Any]]:
    """Check that every URL answers 200 (computing it once), then load each group of URLs in
    turn (after ``warmup`` seconds unrecorded): figures per group, with the ratio of its p50
    to that of the ``health`` group, measured in the same run."""
    for name, group in paths.items():
        for path in group:
            status, body = _get(port, path, timeout=180)
            if status != 200:
                raise SystemExit(f"{name} {path}: HTTP {status} {body[:300]!r}")
    results: dict[str, dict[str, Any]] = {}
    for name, group in paths.items():
        if warmup > 0:
            load(port, group, warmup, connections, threads)
            wait_idle(proc.pid)
        results[name] = load(port, group, duration, connections, threads)
        wait_idle(proc.pid)
    health = results["health"]["p50_ms"]
    for r in results.values():
        r["ratio_p50_to_health"] = round(r["p50_ms"] / health, 2) if health else None
    return results


def release_sample(var_dir: Path, n: int) -> dict[str, list[str]]:
    """Codes to load a server with, from the release served in ``var_dir``: départements,
    académies, collèges with an IPS, and indicators computed by département (``n`` each)."""
    import duckdb

    current = (var_dir / "current").resolve()
    deps_file = str(current / "referential" / "departements.parquet")
    values = str(current / "indicators" / "valeurs.parquet")
    queries = {
        "departements": (
            "SELECT code FROM read_parquet($p) ORDER BY hash(code) LIMIT $n",
            deps_file,
        ),
        "academies": (
            "SELECT DISTINCT academie FROM read_parquet($p) WHERE academie IS NOT NULL "
            "ORDER BY 1 LIMIT $n",
            deps_file,
        ),
        "uais": (
            "SELECT code FROM (SELECT DISTINCT code FROM read_parquet($p) WHERE niveau = "
            "'etablissement' AND indicateur = 'ips_moyen_colleges' AND statut = 'ok') "
            "ORDER BY hash(code) LIMIT $n",
            values,
        ),
        "indicateurs": (
            "SELECT DISTINCT indicateur FROM read_parquet($p) WHERE niveau = 'departement' "
            "ORDER BY 1 LIMIT $n",
            values,
        ),
    }
    con = duckdb.connect()
    try:
        return {
            name: [r[0] for r in con.execute(sql, {"p": path, "n": n}).fetchall()]
            for name, (sql, path) in queries.items()
        }
    finally:
        con.close()


def load_wrk(
    port: int, path: str | list[str], seconds: float, conns: int, threads: int
) -> dict[str, Any]:
    """wrk on one path, or cycling through a list of paths (bench/wrk_paths.lua)."""
    script = "wrk_report.lua"
    env = dict(os.environ)
    if isinstance(path, list):
        listing = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)  # noqa: SIM115
        listing.write("\n".join(path) + "\n")
        listing.close()
        script = "wrk_paths.lua"
        env["WRK_PATHS"] = listing.name
        env["WRK_REPORT"] = str(ROOT / "bench" / "wrk_report.lua")
        path = path[0]
    cmd = [
        *CLIENT_PIN,
        "wrk",
        f"-t{threads}",
        f"-c{conns}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / script),
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 60, check=False, env=env
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk n'a rien rendu : {out[-500:]}")
    r = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(r["errors"].values())
    return {
        "rps": round(r["requests"] / (r["duration_us"] / 1e6), 1),
        "p50_ms": round(r["p50_us"] / 1000, 2),
        "p90_ms": round(r["p90_us"] / 1000, 2),
        "p99_ms": round(r["p99_us"] / 1000, 2),
        "max_ms": round(r["max_us"] / 1000, 2),
        "requests": r["requests"],
        "errors": errors,
    }


CLIENT_PIN: list[str] = []  # ["taskset", "-c", "1"] when the bench pins its load generator


def pinned(cpus: str) -> list[str]:
    """The command prefix pinning a process to ``cpus`` (none without taskset or cpus)."""
    return ["taskset", "-c", cpus] if cpus and shutil.which("taskset") else []


def load_python(
    port: int, path: str | list[str], seconds: float, conns: int, threads: int
) -> dict[str, Any]:
    import httpx

    paths = path if isinstance(path, list) else [path]

    async def run() -> tuple[list[float], int, float]:
        lat: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=10
        ) as client:
            t0 = time.perf_counter()
            stop = t0 + seconds

            async def worker(n: int) -> None:
                nonlocal errors
                while time.perf_counter() < stop:
                    n += 1
                    s = time.perf_counter()
                    try:
                        r = await client.get(paths[n % len(paths)])
                        await r.aread()
                        ok = r.status_code < 400
                    except httpx.HTTPError:
                        ok = False
                    lat.append(time.perf_counter() - s)
                    errors += not ok

            await asyncio.gather(*(worker(i) for i in range(conns)))
            return lat, errors, time.perf_counter() - t0

    lat, errors, elapsed = asyncio.run(run())
    lat.sort()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000, 2)

    return {
        "rps": round(len(lat) / elapsed, 1),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(lat[-1] * 1000, 2),
        "requests": len(lat),
        "errors": errors,
    }


def csv_download(port: int, path: str, keep: bool = False) -> tuple[int, float, bytes]:
    """(bytes, seconds, body if keep) of one full export, read in 1 MB chunks, no gzip."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    buf = io.BytesIO()
    size = 0
    try:
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise SystemExit(f"export CSV : HTTP {resp.status}")
        while chunk := resp.read(1 << 20):
            size += len(chunk)
            if keep:
                buf.write(chunk)
        return size, time.perf_counter() - t0, buf.getvalue()
    finally:
        conn.close()


def csv_rows(body: bytes) -> int:
    text = body.decode("utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)) - 1


def csv_throughput(port: int, path: str, runs: int) -> dict[str, Any]:
    size, _, body = csv_download(port, path, keep=True)  # warm-up, and the row count
    rows = csv_rows(body)
    times = []
    for _ in range(runs):
        n, s, _ = csv_download(port, path)
        if n != size:
            raise SystemExit(f"export CSV de taille variable : {n} != {size}")
        times.append(s)
    total = sum(times)
    return {
        "bytes": size,
        "rows": rows,
        "runs": runs,
        "mean_s": round(total / runs, 3),
        "best_s": round(min(times), 3),
        "mb_per_s": round(size * runs / total / 1e6, 2),
        "rows_per_s": round(rows * runs / total),
        "check_ok": size > 5e6 and rows == 97_080,
    }


def export_throughput(port: int, path: str, runs: int) -> dict[str, Any]:
    """MB/s of one full export downloaded ``runs`` times after a warm-up (same size each)."""
    size, _, _ = csv_download(port, path)
    times = []
    for _ in range(runs):
        n, s, _ = csv_download(port, path)
        if n != size:
            raise SystemExit(f"export {path} de taille variable : {n} != {size}")
        times.append(s)
    return {
        "bytes": size,
        "runs": runs,
        "best_s": round(min(times), 4),
        "mb_per_s": round(size * runs / sum(times) / 1e6, 2),
    }


def soak(port: int, path: str, pid: int, seconds: float) -> dict[str, Any]:
    """Export in a loop for ``seconds`` while sampling the server's RSS every second."""
    samples: list[tuple[float, float]] = []
    done = threading.Event()
    t0 = time.monotonic()

    def sample() -> None:
        while not done.is_set():
            rss = _rss_mb(pid)
            if rss is not None:
                samples.append((time.monotonic() - t0, rss))
            done.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    exports = 0
    try:
        while time.monotonic() - t0 < seconds:
            csv_download(port, path)
            exports += 1
    finally:
        done.set()
        sampler.join(5)
    ts, ys = [t for t, _ in samples], [y for _, y in samples]
    mt, my = sum(ts) / len(ts), sum(ys) / len(ys)
    var = sum((t - mt) ** 2 for t in ts)
    slope = (sum((t - mt) * (y - my) for t, y in samples) / var * 60) if var else 0.0
    start, end = ys[0], ys[-1]
    return {
        "seconds": round(ts[-1], 1),
        "exports": exports,
        "samples": len(ys),
        "rss_start_mb": round(start, 1),
        "rss_max_mb": round(max(ys), 1),
        "rss_end_mb": round(end, 1),
        "slope_mb_per_min": round(slope, 2),
        "verdict": "flat" if end - start < 50 and slope < 10 else "growing",
    }


def load_arguments(
    parser: argparse.ArgumentParser, *, duration: float, warmup: float, connections: int
) -> None:
    """The options every load bench takes: ``--duration``, ``--warmup``, ``--connections``,
    ``--threads`` and ``--generator``."""
    parser.add_argument("--duration", type=float, default=duration, help="seconds per load run")
    parser.add_argument("--warmup", type=float, default=warmup, help="seconds of unrecorded load")
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk when installed, else the Python asyncio+httpx one",
    )


def load_generator(choice: str) -> tuple[str, Any]:
    """The load generator of ``--generator``: its name and its load function."""
    if choice == "wrk" or (choice == "auto" and shutil.which("wrk")):
        return "wrk", load_wrk
    return "python-asyncio-httpx", load_python


# --- the run -------------------------------------------------------------------------------


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    load_arguments(parser, duration=10, warmup=3, connections=16)
    parser.add_argument("--csv-runs", type=int, default=5)
    parser.add_argument("--soak-seconds", type=float, default=300)
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts, e.g. 1 or 1,2")
    parser.add_argument("--var-dir", type=Path, help="reuse (or build once into) this var dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--shapes", default=",".join(api_variants.SHAPES))
    parser.add_argument("--server-cpus", default="0", help="taskset cores of a 1-worker server")
    parser.add_argument("--client-cpus", default="1", help="taskset cores of the load generator")
    return parser.parse_args()


def _datasette_cmd(datasette: Path, db: Path, port: int) -> list[str]:
    settings = {
        "sql_time_limit_ms": "20000",
        "max_returned_rows": "100000",
        "facet_time_limit_ms": "20000",
        "suggest_facets": "off",
    }
    cmd = [str(datasette), "serve", "--immutable", str(db), "-p", str(port), "-h", "127.0.0.1"]
    for key, value in settings.items():
        cmd += ["--setting", key, value]
    return cmd


def _ardoise_cmd(port: int, nworkers: int) -> list[str]:
    if nworkers == 1:
        return [str(ROOT / ".venv" / "bin" / "ardoise"), "serve", "--port", str(port)]
    return [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        "--factory",
        "--app-dir",
        str(ROOT / "bench"),
        "api:app_factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(nworkers),
    ]


class Run:
    """One bench run: its options, load generator, common fields and results so far."""

    def __init__(self, args: argparse.Namespace, load: Any, common: dict[str, Any]) -> None:
        self.args = args
        self.load = load
        self.common = common
        self.results: dict[tuple[str, str, str, int], dict[str, Any]] = {}

    def emit(self, key: tuple[str, str, str, int], r: dict[str, Any]) -> None:
        self.results[key] = r
        name, cache, query, nworkers = key
        line = {**self.common, "server": name, "query": query, "cache": cache}
        print(json.dumps({**line, "workers": nworkers, **r}), flush=True)

    def measure(
        self,
        key: tuple[str, str, int],
        port: int,
        shapes: dict[str, list[str]],
        csv_path: str,
        pid: int,
    ) -> None:
        """Each shape cycled over its variants (after an unrecorded warm-up), then the CSV
        export; the server's CPU ticks over each recorded run give its CPU per request."""
        name, cache, nworkers = key
        args, hz = self.args, os.sysconf("SC_CLK_TCK")
        for shape, urls in shapes.items():
            if args.warmup > 0:
                self.load(port, urls, args.warmup, args.connections, args.threads)
                wait_idle(pid)
            ticks = _cpu_ticks(pid)
            r = self.load(port, urls, args.duration, args.connections, args.threads)
            wait_idle(pid)
            cpu_s = (_cpu_ticks(pid) - ticks) / hz
            r["cpu_ms_per_request"] = round(cpu_s * 1000 / max(1, r["requests"]), 3)
            r["variants"] = len(set(urls))
            r["server_rss_mb"] = round(_rss_mb(pid) or 0, 1)
            self.emit((name, cache, shape, nworkers), r)
        self.emit(
            (name, cache, "csv_export", nworkers), csv_throughput(port, csv_path, args.csv_runs)
        )
        if name == "ardoise":
            for export, (path, target) in EXPORTS.items():
                r = export_throughput(port, path, args.csv_runs)
                self.emit((name, cache, export, nworkers), {**r, "target_mb_per_s": target})


def _cpus(spec: str) -> set[int]:
    """The cores of a taskset list (``0``, ``0,1``, ``0-3``)."""
    cores: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition("-")
        cores.update(range(int(low), int(high or low) + 1))
    return cores


def _check_all(port: int, shapes: dict[str, list[str]], side: str) -> None:
    """Every variant answers 200 (and is computed once) before any load."""
    for shape, urls in shapes.items():
        for url in dict.fromkeys(urls):
            status, body = _get(port, url, timeout=60)
            if status != 200:
                raise SystemExit(f"{side} {shape} {url}: HTTP {status} {body[:300]!r}")


def main() -> None:
    args = _arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that every finally runs
    datasette = BENCH_VENV / "bin" / "datasette"
    if not datasette.is_file():
        raise SystemExit(
            f"{datasette} manque : python3 -m venv {BENCH_VENV} && "
            f"{BENCH_VENV}/bin/pip install datasette"
        )
    generator, load = load_generator(args.generator)
    CLIENT_PIN[:] = pinned(args.client_cpus)
    workers = [int(w) for w in args.workers.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="ardoise-bench-api-"))
    log = tmp / "servers.log"
    try:
        var_dir = args.var_dir.resolve() if args.var_dir else tmp / "var"
        parquet = release_parquet(var_dir, log)
        db = tmp / "ips.db"
        n_rows = build_sqlite(parquet, db)
        sample = api_variants.sample(parquet)
        wanted = args.shapes.split(",")
        sides = {
            "ardoise": api_variants.ardoise(sample),
            "datasette": api_variants.datasette(sample),
        }
        sides = {k: {s: v[s] for s in wanted} for k, v in sides.items()}
        common = {
            "bench": "api",
            "dataset": DATASET,
            "rows": n_rows,
            "generator": generator,
            "connections": args.connections,
            "duration_s": args.duration,
            "server_cpus": args.server_cpus if pinned(args.server_cpus) else None,
            "client_cpus": args.client_cpus if CLIENT_PIN else None,
        }
        run = Run(args, load, common)

        port = _free_port()  # Datasette, the baseline
        cmd = pinned(args.server_cpus) + _datasette_cmd(datasette, db, port)
        with server(cmd, dict(os.environ), port, "/-/versions.json", log) as proc:
            expected = answers(port, DATASETTE, "datasette")
            _check_all(port, sides["datasette"], "datasette")
            run.measure(
                ("datasette", "n/a", 1), port, sides["datasette"], DATASETTE["csv_export"], proc.pid
            )

        # Ardoise: cache off (judged), cache on (default), then more workers with cache off
        env = dict(os.environ, ARDOISE_VAR_DIR=str(var_dir))
        memory: dict[str, Any] = {}
        same = True
        for cache, nworkers in [("off", 1), ("on", 1)] + [("off", w) for w in workers if w != 1]:
            port = _free_port()
            senv = dict(env, ARDOISE_PORT=str(port), ARDOISE_PUBLIC_URL=f"http://127.0.0.1:{port}")
            senv["ARDOISE_ACCESS_LOG"] = "0"
            if cache == "off":
                senv["ARDOISE_RESPONSE_CACHE_ENTRIES"] = "0"
            if nworkers == 1 and pinned(args.server_cpus):  # one DuckDB thread per pinned core
                senv["ARDOISE_QUERY_THREADS"] = str(len(_cpus(args.server_cpus)))
            cmd = (pinned(args.server_cpus) if nworkers == 1 else []) + _ardoise_cmd(port, nworkers)
            with server(cmd, senv, port, "/health", log) as proc:
                got = answers(port, ARDOISE, "ardoise")
                same = same and got == expected
                if got != expected:
                    warning = {"warning": "answers differ", "ardoise": got, "datasette": expected}
                    print(json.dumps({"bench": "api", **warning}), flush=True)
                _check_all(port, sides["ardoise"], "ardoise")
                run.measure(
                    ("ardoise", cache, nworkers),
                    port,
                    sides["ardoise"],
                    ARDOISE["csv_export"],
                    proc.pid,
                )
                if cache == "on" and args.soak_seconds > 0:
                    memory = soak(port, ARDOISE["csv_export"], proc.pid, args.soak_seconds)
                    run.emit(("ardoise", cache, "csv_export_soak", 1), memory)

        print(json.dumps(summary(run.results, memory, same, workers, common, wanted)), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def summary(
    results: dict[tuple[str, str, str, int], dict[str, Any]],
    memory: dict[str, Any],
    same: bool,
    workers: list[int],
    common: dict[str, Any],
    shapes: list[str],
) -> dict[str, Any]:
    base = {q: results[("datasette", "n/a", q, 1)] for q in (*shapes, "csv_export")}

    def ratios(cache: str, nworkers: int, field: str = "rps") -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for q in shapes:
            mine, theirs = results[("ardoise", cache, q, nworkers)][field], base[q][field]
            if field == "cpu_ms_per_request":  # how many times less CPU Ardoise spends
                mine, theirs = theirs, mine
            out[q] = round(mine / theirs, 2) if theirs else None
        if field == "rps":
            out["csv_export_bytes_per_s"] = round(
                results[("ardoise", cache, "csv_export", nworkers)]["mb_per_s"]
                / base["csv_export"]["mb_per_s"],
                2,
            )
        return out

    judged = ratios("off", 1)
    p99 = {q: results[("ardoise", "off", q, 1)]["p99_ms"] for q in shapes}
    met: dict[str, bool | None] = {
        f"throughput_x{TARGET_RATIO[q]}_{q}": (judged[q] or 0) >= TARGET_RATIO[q] for q in shapes
    }
    met |= {f"p99_le_50ms_{q}": p99[q] <= 50 for q in shapes}
    csv_mb = results[("ardoise", "off", "csv_export", 1)]["mb_per_s"]
    met["csv_ge_50_mb_per_s"] = csv_mb >= 50
    for export, (_, target) in EXPORTS.items():
        got = results.get(("ardoise", "off", export, 1), {}).get("mb_per_s")
        met[f"{export}_ge_{target:g}_mb_per_s"] = None if got is None else got >= target
    met["memory_flat"] = memory.get("verdict") == "flat" if memory else None
    extra = {f"ratios_cache_off_{w}_workers": ratios("off", w) for w in workers if w != 1}
    return {
        **common,
        "summary": True,
        "judged_on": "Ardoise with its response cache off, 1 uvicorn worker, vs Datasette "
        f"--immutable on the same variants, {common['connections']} connections on loopback",
        "variants": {q: results[("ardoise", "off", q, 1)]["variants"] for q in shapes},
        "ratios": judged,
        "cpu_per_request_ratios": ratios("off", 1, "cpu_ms_per_request"),
        "ratios_cache_on": ratios("on", 1),
        **extra,
        "p99_ms_cache_off": p99,
        "csv_mb_per_s_cache_off": csv_mb,
        "exports_mb_per_s_cache_off": {
            e: results.get(("ardoise", "off", e, 1), {}).get("mb_per_s") for e in EXPORTS
        },
        "memory": memory,
        "answers_match": same,
        "targets": {
            "throughput_ratio": TARGET_RATIO,
            "p99_ms": 50,
            "csv_mb_per_s": 50,
            "memory": "flat: end - start < 50 MB and slope < 10 MB/min",
        },
        "targets_met": met,
        "all_met": all(v for v in met.values() if v is not None),
    }


if __name__ == "__main__":
    main()
