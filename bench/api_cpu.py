"""Server CPU per request, in process, for each query shape of bench/api_variants.py.

The app runs in this process with its response cache off; each shape's distinct variants
are sent through Starlette's test client (after one unrecorded pass) and the process CPU
time (``time.process_time``: every thread, DuckDB's included) is divided by the requests.
``/health`` is measured the same way: its figure is the floor of the client and the
framework. Less noisy than throughput on a shared machine: the step-by-step figure of
issue #14. Prints JSON lines.

    .venv/bin/python bench/api_cpu.py [--var-dir var] [--rounds 1] [--shapes a,b]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import api_variants as V  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--rounds", type=int, default=1, help="recorded passes over the URLs")
    parser.add_argument("--shapes", default=",".join(V.SHAPES))
    args = parser.parse_args()
    os.environ["ARDOISE_RESPONSE_CACHE_ENTRIES"] = "0"

    from starlette.testclient import TestClient

    from ardoise.settings import load_settings
    from ardoise.web.app import create_app

    parquet = (args.var_dir / "current" / "data" / f"{V.DATASET}.parquet").resolve()
    urls = V.ardoise(V.sample(parquet))
    urls["health"] = ["/health"] * 200
    settings = load_settings(environ={"ARDOISE_RESPONSE_CACHE_ENTRIES": "0"}, var_dir=args.var_dir)
    with TestClient(create_app(settings)) as client:
        for shape in ["health", *args.shapes.split(",")]:
            group = urls[shape]
            for url in group:  # warm-up, and every variant must answer 200
                r = client.get(url)
                if r.status_code != 200:
                    raise SystemExit(f"{shape} {url}: HTTP {r.status_code} {r.text[:300]}")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(args.rounds):
                for url in group:
                    client.get(url)
            n = len(group) * args.rounds
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            print(
                json.dumps(
                    {
                        "bench": "api_cpu",
                        "shape": shape,
                        "variants": len(set(group)),
                        "requests": n,
                        "cpu_ms_per_request": round(cpu / n * 1000, 3),
                        "wall_ms_per_request": round(wall / n * 1000, 3),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
