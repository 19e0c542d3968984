"""Territory and indicator endpoints under load, beside a trivial ``/health`` (issue #4).

Target: p50 ≤ 5 ms and p99 ≤ 20 ms at 16 connections on loopback. ``ardoise serve`` runs on
a release of the real mirror (built once, or reused with ``--var-dir``) twice:

- as deployed (judged): ``--workers`` processes (2, one per core), response cache on;
- cold: 1 worker, response cache off (ARDOISE_RESPONSE_CACHE_ENTRIES=0): what computing
  each answer costs.

Each endpoint is loaded with 20 different territories (or queries) in turn, not one URL;
each URL is checked to answer 200, then warmed up, then loaded with wrk (-t2 -c16,
bench/wrk_paths.lua), or the Python generator of bench/api.py without wrk. One JSON line per
endpoint and run, with the ratio of its p50 to that of ``/health`` in the same run, then a
summary line.

    .venv/bin/python bench/territories.py [--duration 10] [--var-dir DIR] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api as apibench

ROOT = apibench.ROOT
HEALTH = "/health"
SEARCHES = (
    "saint etienne",
    "st-étienne",
    "42218",
    "lyon",
    "marseille",
    "bordeaux",
    "lille",
    "clermont",
    "montpellier",
    "strasbourg",
    "rennes",
    "nantes",
    "toulouse",
    "nice",
    "brest",
    "dijon",
    "grenoble",
    "amiens",
    "caen",
    "rouen",
)


def endpoints(var_dir: Path, n: int = 20) -> dict[str, list[str]]:
    """Each endpoint with ``n`` different territories (or queries), so that one territory's
    answer is not the only one measured; /health alone."""
    sample = apibench.release_sample(var_dir, n)
    deps, academies, uais = sample["departements"], sample["academies"], sample["uais"]
    return {
        "health": [HEALTH],
        "recherche": [f"/api/v1/territoires?q={quote(q)}" for q in SEARCHES[:n]],
        "territoire": [f"/api/v1/territoires/departement/{d}" for d in deps],
        "etablissement": [f"/api/v1/etablissements/{u}" for u in uais],
        "indicateur_valeurs": [
            f"/api/v1/indicateurs/ips_moyen_colleges/valeurs?niveau=departement&annee={y}"
            for y in ("2022-2023", "2021-2022")
        ]
        + [
            f"/api/v1/indicateurs/ips_moyen_colleges/valeurs?niveau=commune&annee=2022-2023"
            f"&parent=academie:{a}"
            for a in academies
        ],
        "territoire_indicateurs": [
            f"/api/v1/territoires/departement/{d}/indicateurs?annee=2022-2023" for d in deps
        ],
        "geo_topojson": [
            f"/api/v1/geo/departement.topojson?parent=academie:{a}" for a in academies
        ],
    }


TARGET_P50_MS = 5.0
TARGET_P99_MS = 20.0


def main() -> None:
    parser = argparse.ArgumentParser()
    apibench.load_arguments(parser, duration=10, warmup=2, connections=16)
    parser.add_argument("--var-dir", type=Path, help="reuse (or build once into) this var dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes of the cache-on run (one per core)"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that every finally runs

    generator, load = apibench.load_generator(args.generator)
    tmp = Path(tempfile.mkdtemp(prefix="ardoise-bench-territories-"))
    log = tmp / "server.log"
    try:
        var_dir = args.var_dir.resolve() if args.var_dir else tmp / "var"
        apibench.release_parquet(var_dir, log)  # runs `ardoise ingest` when there is no release
        common = {
            "bench": "territories",
            "generator": generator,
            "connections": args.connections,
            "duration_s": args.duration,
        }
        results: dict[tuple[str, str], dict[str, Any]] = {}
        paths = endpoints(var_dir)
        runs = {"off": 1, "on": args.workers}  # cache → server processes
        for cache, workers in runs.items():
            with apibench.ardoise_serve(var_dir, log, workers=workers, cache=cache == "on") as (
                port,
                proc,
            ):
                figures = apibench.load_groups(
                    port,
                    proc,
                    paths,
                    load,
                    duration=args.duration,
                    warmup=args.warmup,
                    connections=args.connections,
                    threads=args.threads,
                )
                for name, group in paths.items():
                    r = results[(cache, name)] = figures[name]
                    print(
                        json.dumps(
                            {
                                **common,
                                "endpoint": group[0],
                                "urls": len(group),
                                "name": name,
                                "cache": cache,
                                "workers": workers,
                                **r,
                            }
                        ),
                        flush=True,
                    )
        print(json.dumps(summary(results, common, runs)), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def summary(
    results: dict[tuple[str, str], dict[str, Any]], common: dict[str, Any], runs: dict[str, int]
) -> dict[str, Any]:
    names = [n for cache, n in results if cache == "on" and n != "health"]

    def met(cache: str) -> dict[str, bool]:
        out = {}
        for n in names:
            r = results[(cache, n)]
            out[f"p50_le_{TARGET_P50_MS:g}ms_{n}"] = r["p50_ms"] <= TARGET_P50_MS
            out[f"p99_le_{TARGET_P99_MS:g}ms_{n}"] = r["p99_ms"] <= TARGET_P99_MS
            out[f"no_errors_{n}"] = r["errors"] == 0
        return out

    def figures(cache: str) -> dict[str, dict[str, Any]]:
        return {
            n: {
                k: results[(cache, n)][k]
                for k in ("rps", "p50_ms", "p99_ms", "ratio_p50_to_health")
            }
            for n in ["health", *names]
        }

    judged = met("on")
    return {
        **common,
        "summary": True,
        "judged_on": f"ardoise serve as deployed: {runs['on']} workers, response cache on, "
        f"{common['connections']} connections on loopback, 20 URLs per endpoint in turn",
        "targets": {"p50_ms": TARGET_P50_MS, "p99_ms": TARGET_P99_MS},
        "cache_off_1_worker": figures("off"),
        "cache_on": figures("on"),
        "targets_met": judged,
        "all_met": all(judged.values()),
        "targets_met_cache_off": met("off"),
    }


if __name__ == "__main__":
    main()
