"""Territory and indicator endpoints under load, beside a trivial ``/health`` (issue).

Target: p50 ≤ 5 ms and p99 ≤ 20 ms at 16 connections on loopback. ``ardoise serve`` (1 worker)
runs on a release of the real mirror (built once, or reused with ``--var-dir``), first with its
response cache off (ARDOISE_RESPONSE_CACHE_ENTRIES=0, the one the targets are judged on), then
on (the default). Each endpoint is checked to answer 200, warmed up, then loaded with wrk
(-t2 -c16, bench/wrk_report.lua), or the Python generator of bench/api.py without wrk. One JSON
line per endpoint and cache setting, with the ratio of its p50 to that of ``/health`` in the
same run, then a summary line.

    .venv/bin/python bench/territories.py [--duration 10] [--var-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api as apibench

ROOT = apibench.ROOT
HEALTH = "/health"
ENDPOINTS = {
    "health": HEALTH,
    "recherche": "/api/v1/territoires?q=saint%20etienne",
    "territoire": "/api/v1/territoires/departement/42",
    "etablissement": "/api/v1/etablissements/0420003A",
    "indicateur_valeurs": "/api/v1/indicateurs/ips_moyen_colleges/valeurs"
    "?niveau=departement&annee=2022-2023",
    "territoire_indicateurs": "/api/v1/territoires/departement/42/indicateurs?annee=2022-2023",
    "geo_topojson": "/api/v1/geo/departement.topojson?parent=academie:10",
}
TARGET_P50_MS = 5.0
TARGET_P99_MS = 20.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10, help="seconds per load run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unrecorded load")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--var-dir", type=Path, help="reuse (or build once into) this var dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that every finally runs

    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
    generator, load = (
        ("wrk", apibench.load_wrk) if use_wrk else ("python-asyncio-httpx", apibench.load_python)
    )
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
        env = dict(os.environ, ARDOISE_VAR_DIR=str(var_dir))
        for cache in ("off", "on"):
            port = apibench._free_port()
            senv = dict(env, ARDOISE_PORT=str(port), ARDOISE_PUBLIC_URL=f"http://127.0.0.1:{port}")
            if cache == "off":
                senv["ARDOISE_RESPONSE_CACHE_ENTRIES"] = "0"
            else:
                senv.pop("ARDOISE_RESPONSE_CACHE_ENTRIES", None)
            cmd = [str(ROOT / ".venv" / "bin" / "ardoise"), "serve", "--port", str(port)]
            with apibench.server(cmd, senv, port, HEALTH, log) as proc:
                for name, path in ENDPOINTS.items():
                    status, body = apibench._get(port, path)
                    if status != 200:
                        raise SystemExit(f"{name} {path}: HTTP {status} {body[:300]!r}")
                for name, path in ENDPOINTS.items():
                    if args.warmup > 0:
                        load(port, path, args.warmup, args.connections, args.threads)
                        apibench.wait_idle(proc.pid)
                    r = load(port, path, args.duration, args.connections, args.threads)
                    apibench.wait_idle(proc.pid)
                    results[(cache, name)] = r
                health_p50 = results[(cache, "health")]["p50_ms"]
                for name, path in ENDPOINTS.items():
                    r = results[(cache, name)]
                    r["ratio_p50_to_health"] = (
                        round(r["p50_ms"] / health_p50, 2) if health_p50 else None
                    )
                    print(
                        json.dumps({**common, "endpoint": path, "name": name, "cache": cache, **r}),
                        flush=True,
                    )
        print(json.dumps(summary(results, common)), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def summary(results: dict[tuple[str, str], dict[str, Any]], common: dict[str, Any]) -> dict:
    names = [n for n in ENDPOINTS if n != "health"]

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
            for n in ENDPOINTS
        }

    judged = met("off")
    on = met("on")
    return {
        **common,
        "summary": True,
        "judged_on": "ardoise serve, 1 worker, response cache off, "
        f"{common['connections']} connections on loopback",
        "targets": {"p50_ms": TARGET_P50_MS, "p99_ms": TARGET_P99_MS},
        "cache_off": figures("off"),
        "cache_on": figures("on"),
        "targets_met": judged,
        "all_met": all(judged.values()),
        "targets_met_cache_on": on,
        "all_met_cache_on": all(on.values()),
    }


if __name__ == "__main__":
    main()
