"""``/api/v1/sql`` (issue #18): a join query through the API beside DuckDB run directly on
the release's Parquet files, in the same run.

``ardoise serve`` (response cache off, so each request runs the query) over a release of
the real mirror (built once, or reused with ``--var-dir``). The query joins IPS and value
added per collège, grouped by académie, with a bound parameter; the direct side runs the
same SQL on one open DuckDB connection whose views read the same files (DuckDB's best
case: no parsing, checks, fresh locked database, HTTP or JSON). One JSON line: p50/p99 of
both sides and the ratio of their p50.

    .venv/bin/python bench/sql.py [--runs 40] [--var-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api as apibench

IPS = "fr-en-ips_colleges"
VA = "fr-en-indicateurs-valeur-ajoutee-colleges"
QUERY = (
    "SELECT i.academie, count(*) AS colleges, round(avg(i.ips), 2) AS ips_moyen, "
    "count(DISTINCT v.session) AS sessions "
    "FROM {ips} AS i JOIN {va} AS v ON v.uai = i.uai "
    "WHERE i.rentree_scolaire >= :depuis GROUP BY i.academie ORDER BY i.academie"
)
SINCE = ("2016-2017", "2018-2019", "2020-2021", "2021-2022")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def direct(var_dir: Path, runs: int) -> tuple[list[float], list[object]]:
    """The query on DuckDB itself, over the release's files (one connection, views)."""
    current = (var_dir / "current").resolve()
    manifest = json.loads((current / "manifest.json").read_text("utf-8"))
    con = duckdb.connect(":memory:")
    for name, ds in (("ips", IPS), ("va", VA)):
        path = current / manifest["datasets"][ds]["parquet"]["path"]
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    sql = QUERY.format(ips="ips", va="va").replace(":depuis", "$depuis")
    times, answer = [], []
    for i in range(runs):
        t = time.perf_counter()
        answer = con.execute(sql, {"depuis": SINCE[i % len(SINCE)]}).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    con.close()
    return times, [list(r) for r in answer]


def through_api(port: int, runs: int) -> tuple[list[float], list[object]]:
    sql = QUERY.format(ips=IPS.replace("-", "_"), va=VA.replace("-", "_"))
    times, answer = [], []
    for i in range(runs):
        path = "/api/v1/sql?" + urlencode({"q": sql, "p.depuis": SINCE[i % len(SINCE)]})
        t = time.perf_counter()
        status, body = apibench._get(port, path)
        times.append((time.perf_counter() - t) * 1000)
        if status != 200:
            raise SystemExit(f"/api/v1/sql a répondu {status} : {body[:300]!r}")
        answer = json.loads(body)["rows"]
    return times, answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--var-dir", type=Path, help="reuse (or build once into) this var dir")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="ardoise-bench-sql-"))
    log = tmp / "server.log"
    try:
        var_dir = args.var_dir.resolve() if args.var_dir else tmp / "var"
        apibench.release_parquet(var_dir, log)
        with apibench.ardoise_serve(var_dir, log, workers=1, cache=False) as (port, _proc):
            through_api(port, 3)  # warm-up: the release's first load
            api_ms, api_rows = through_api(port, args.runs)
        direct(var_dir, 3)
        direct_ms, direct_rows = direct(var_dir, args.runs)
        if api_rows != direct_rows:
            raise SystemExit("l'API et DuckDB ne donnent pas le même résultat")
        line = {
            "bench": "sql",
            "name": "join_ips_valeur_ajoutee",
            "runs": args.runs,
            "rows": len(api_rows),
            "api_p50_ms": round(statistics.median(api_ms), 2),
            "api_p99_ms": round(_percentile(api_ms, 0.99), 2),
            "duckdb_p50_ms": round(statistics.median(direct_ms), 2),
            "duckdb_p99_ms": round(_percentile(direct_ms, 0.99), 2),
        }
        line["ratio_p50_api_to_duckdb"] = round(line["api_p50_ms"] / line["duckdb_p50_ms"], 2)
        print(json.dumps(line), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
