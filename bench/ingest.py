"""Ingest benchmark (issue #2): the whole release from the mirror, against DuckDB alone.

DuckDB alone = ``read_csv``/``read_parquet``/``read_json`` of the same source files written
straight to Parquet, in the same run, on the same machine. Both run as child processes so
that their peak memory (max RSS) is measured apart. Prints JSON lines.

    .venv/bin/python bench/ingest.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ardoise.catalog.loader import load_catalog  # noqa: E402
from ardoise.settings import load_settings  # noqa: E402

DUCKDB_ALONE = r"""
import sys, duckdb, json
out, files = sys.argv[1], json.loads(sys.argv[2])
con = duckdb.connect()
con.execute("SET threads = 2")
for i, f in enumerate(files):
    if f.endswith(".parquet"):
        src = f"read_parquet('{f}')"
    elif f.endswith(".geojson"):
        src = f"read_json('{f}', maximum_object_size=100000000)"
    elif f.endswith(".csv"):
        src = f"read_csv('{f}', header=true)"
    else:
        raise SystemExit(f"format non pris en charge par la référence : {f}")
    con.execute(f"COPY (SELECT * FROM {src}) TO '{out}/{i}.parquet' (FORMAT parquet)")
print(len(files))
"""


def _child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one child process (wait4: its own rusage)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    settings = load_settings()
    files = sorted(
        {
            str(settings.mirror / s.path)
            for d in load_catalog(settings.catalog_dir)
            for s in d.sources
            if (settings.mirror / s.path).is_file()
        }
    )
    ardoise = [str(ROOT / ".venv" / "bin" / "ardoise"), "ingest"]
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, ARDOISE_VAR_DIR=f"{tmp}/var")
            base_s, base_mb, base_code = _child(
                [sys.executable, "-c", DUCKDB_ALONE, tmp, json.dumps(files)], env
            )
            if base_code != 0:
                raise SystemExit("la référence DuckDB seule a échoué : mesure invalide")
            cold_s, cold_mb, code = _child(ardoise, env)
            # warm: same sources, new var dir but the geometry cache kept
            env_warm = dict(env, ARDOISE_VAR_DIR=f"{tmp}/var2")
            os.makedirs(f"{tmp}/var2", exist_ok=True)
            os.symlink(f"{tmp}/var/cache", f"{tmp}/var2/cache")
            warm_s, warm_mb, _ = _child(ardoise, env_warm)
            print(
                json.dumps(
                    {
                        "bench": "ingest",
                        "run": run,
                        "source_files": len(files),
                        "duckdb_alone_s": round(base_s, 2),
                        "ardoise_cold_s": round(cold_s, 2),
                        "ardoise_warm_s": round(warm_s, 2),
                        "ratio_cold": round(cold_s / base_s, 2),
                        "ratio_warm": round(warm_s / base_s, 2),
                        "peak_rss_mb": round(max(cold_mb, warm_mb)),
                        "duckdb_alone_peak_rss_mb": round(base_mb),
                        "ingest_exit_code": code,
                        "targets": {"ratio": 3, "seconds": 60, "peak_rss_mb": 2048},
                    }
                )
            )


if __name__ == "__main__":
    main()
