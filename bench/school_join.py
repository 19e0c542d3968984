"""Schools followed over time (issue #18): the share of school-years that join across
consecutive school years where both are held, measured on a release of the real mirror.

It runs the same function the publication runs (``release.school_tables.school_tables_sql``)
over the datasets and indicator values of a published release (``--release DIR``; by
default the current release of ``--var-dir``, ``./var``), so it also measures a release
published before the derived tables existed. JSON lines: one per series and year held with
the next, then the total (share, school-years, joined, the years not held and why) and the
time the tables took.

    .venv/bin/python bench/school_join.py [--release DIR | --var-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

from ardoise.release.school_tables import school_tables_sql

TARGET = 0.99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, help="dossier d'une release publiée")
    parser.add_argument("--var-dir", type=Path, default=Path("var"))
    args = parser.parse_args()
    release = args.release or (args.var_dir / "current").resolve()
    if not (release / "manifest.json").is_file():
        raise SystemExit(f"Pas de release dans {release} : `make release` ou --release DIR.")
    conn = duckdb.connect()
    conn.execute("SET threads = 2")
    start = time.perf_counter()
    rows, share = school_tables_sql(
        conn, release / "data", release / "indicators" / "valeurs.parquet"
    )
    seconds = time.perf_counter() - start
    for pair in share.pairs:
        print(json.dumps({"bench": "school_join", **pair.to_json()}, ensure_ascii=False))
    summary = share.to_json()
    summary.pop("series")
    print(
        json.dumps(
            {
                "bench": "school_join",
                "release": release.name,
                **summary,
                "cible": TARGET,
                "atteinte": share.share is not None and share.share >= TARGET,
                "uai_invalides": sum(r.invalid_uai for r in rows),
                "secondes": round(seconds, 2),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
