"""Server CPU per request, in process, for each query shape of bench/api_variants.py.

The app runs in this process with its response cache off; each shape's distinct variants
are sent through Starlette's test client (after one unrecorded pass) and the process CPU
time (``time.process_time``: every thread, DuckDB's included) is divided by the requests.
``/health`` is measured the same way: its figure is the floor of the client and the
framework. Less noisy than throughput on a shared machine: the step-by-step figure of
issue #14. ``--pages`` adds every dashboard page type (bench/dashboard.py, page cache off) and
every territory and indicator endpoint (bench/territories.py), each as one "shape" with its
URLs: their target is p50 <= 30 ms uncached, so the JSON line also gives each group's p50
and p99 of the in-process wall time per request. Prints JSON lines.

    .venv/bin/python bench/api_cpu.py [--var-dir var] [--rounds 1] [--shapes a,b] [--pages]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import api_variants as V  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--rounds", type=int, default=1, help="recorded passes over the URLs")
    parser.add_argument("--shapes", default=",".join(V.SHAPES))
    parser.add_argument("--pages", action="store_true", help="dashboard pages, territory API")
    args = parser.parse_args()
    os.environ["ARDOISE_RESPONSE_CACHE_ENTRIES"] = "0"
    uncached = {"ARDOISE_RESPONSE_CACHE_ENTRIES": "0", "ARDOISE_PAGE_CACHE_ENTRIES": "0"}

    from starlette.testclient import TestClient

    from ardoise.settings import load_settings
    from ardoise.web.app import create_app

    parquet = (args.var_dir / "current" / "data" / f"{V.DATASET}.parquet").resolve()
    urls = V.ardoise(V.sample(parquet))
    urls["health"] = ["/health"] * 200
    shapes = ["health", *args.shapes.split(",")]
    if args.pages:
        page_urls = _page_urls(args.var_dir)
        urls.update(page_urls)
        shapes += list(page_urls)
    settings = load_settings(environ=uncached, var_dir=args.var_dir)
    with TestClient(create_app(settings)) as client:
        for shape in shapes:
            print(json.dumps(_measure(client, shape, urls[shape], args.rounds)), flush=True)


def _page_urls(var_dir: Path) -> dict[str, list[str]]:
    """The page types of bench/dashboard.py and the endpoints of bench/territories.py."""
    import dashboard
    import territories

    out = {f"page_{name}": group for name, group in dashboard.pages(var_dir).items()}
    out.pop("page_health")
    out.update({f"api_{k}": v for k, v in territories.endpoints(var_dir).items()})
    return out


def _measure(client: Any, shape: str, group: list[str], rounds: int) -> dict[str, Any]:
    """CPU and wall time per request of one group of URLs, after one unrecorded pass."""
    for url in group:  # warm-up, and every variant must answer 200
        r = client.get(url)
        if r.status_code != 200:
            raise SystemExit(f"{shape} {url}: HTTP {r.status_code} {r.text[:300]}")
    walls = []
    cpu0 = time.process_time()
    for _ in range(rounds):
        for url in group:
            start = time.perf_counter()
            client.get(url)
            walls.append(time.perf_counter() - start)
    n = len(walls)
    cpu = time.process_time() - cpu0
    walls.sort()
    return {
        "bench": "api_cpu",
        "shape": shape,
        "variants": len(set(group)),
        "requests": n,
        "cpu_ms_per_request": round(cpu / n * 1000, 3),
        "wall_ms_per_request": round(sum(walls) / n * 1000, 3),
        "wall_p50_ms": round(walls[n // 2] * 1000, 3),
        "wall_p99_ms": round(walls[min(n - 1, n * 99 // 100)] * 1000, 3),
    }


if __name__ == "__main__":
    main()
