"""The dashboard's pages under load beside ``/health``, and in chromium on a phone (issue #5).

Targets: each page type p50 ≤ 20 ms server-side at 16 connections on loopback; the map of a
territory page drawn ≤ 1.5 s in chromium with a mobile viewport (first visit, empty cache).

``ardoise serve`` (2 workers) runs on a release of the real mirror (the one in ``var/`` by
default, else built once into a temporary var dir) twice: page cache off (what building
each page costs), then on (as deployed, judged: rendered pages are kept per release and URL). Each page type is loaded
with several URLs in turn (wrk, or the Python generator of bench/api.py without wrk), with the
ratio of its p50 to that of ``/health`` measured in the same run. Then chromium (Debian's,
driven by Playwright) opens each page type with a 390×844 phone viewport in a fresh context
``--visits`` times: first contentful paint, time until every chart (the map) is drawn, bytes
transferred. One JSON line per measure, then a summary line.

    .venv/bin/python bench/dashboard.py [--duration 10] [--var-dir DIR] [--visits 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import api as apibench
from tests.dashboard.browser import chromium_path

ROOT = apibench.ROOT
HEALTH = "/health"
TARGET_P50_MS = 20.0
TARGET_MAP_MS = 1500.0
MOBILE = {"width": 390, "height": 844}


def pages(var_dir: Path, n: int = 8) -> dict[str, list[str]]:
    sample = apibench.release_sample(var_dir, n)
    deps, acas, uais, inds = (
        sample["departements"],
        sample["academies"],
        sample["uais"],
        sample["indicateurs"],
    )
    current = (var_dir / "current").resolve()
    datasets = sorted(p.stem for p in (current / "data").glob("*.parquet"))[:n]
    return {
        "health": [HEALTH],
        "accueil": ["/", "/?niveau=academie", "/?niveau=region"],
        "territoire": [f"/territoires/departement/{d}" for d in deps],
        "academie": [f"/territoires/academie/{a}" for a in acas],
        "etablissement": [f"/etablissements/{u}" for u in uais],
        "indicateur": [f"/indicateurs/{i}" for i in inds],
        "donnees": ["/donnees"],
        "jeu": [f"/donnees/{d}" for d in datasets],
        "qualite": ["/qualite"],
        "a_propos": ["/a-propos"],
    }


def browser_runs(port: int, urls: dict[str, str], visits: int) -> dict[str, dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise SystemExit("chromium absent : make install (apt-get install chromium)")
    out: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            for name, url in urls.items():
                fcp, drawn, sizes = [], [], []
                for _ in range(visits):
                    context = browser.new_context(
                        viewport=MOBILE, device_scale_factor=3, is_mobile=True, has_touch=True
                    )
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    got: list[int] = []
                    cdp.on(
                        "Network.loadingFinished",
                        lambda e, got=got: got.append(int(e["encodedDataLength"])),
                    )
                    page.goto(f"http://127.0.0.1:{port}{url}", wait_until="commit")
                    charts = (
                        page.locator("[data-spec]").count()
                        if page.wait_for_load_state("domcontentloaded") is None
                        else 0
                    )
                    if charts:
                        page.wait_for_function(
                            f"document.querySelectorAll('[data-drawn]').length >= {charts}",
                            timeout=30_000,
                        )
                        drawn.append(page.evaluate("performance.now()"))
                    page.wait_for_load_state("networkidle")
                    fcp.append(
                        page.evaluate(
                            "(performance.getEntriesByName('first-contentful-paint')[0] || "
                            "{startTime: null}).startTime"
                        )
                    )
                    sizes.append(sum(got))
                    context.close()
                out[name] = {
                    "url": url,
                    "visits": visits,
                    "fcp_ms_median": round(statistics.median([f for f in fcp if f]), 1),
                    "charts_drawn_ms_median": (
                        round(statistics.median(drawn), 1) if drawn else None
                    ),
                    "bytes_first_load_median": int(statistics.median(sizes)),
                }
        finally:
            browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    apibench.load_arguments(parser, duration=10, warmup=2, connections=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--visits", type=int, default=5, help="chromium visits per page type")
    parser.add_argument(
        "--var-dir",
        type=Path,
        help="release to serve (default: ./var if it has one, else built in a temp dir)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    generator, load = apibench.load_generator(args.generator)
    tmp = Path(tempfile.mkdtemp(prefix="ardoise-bench-dashboard-"))
    log = tmp / "server.log"
    try:
        var_dir = (
            args.var_dir.resolve()
            if args.var_dir
            else (ROOT / "var" if (ROOT / "var" / "current").exists() else tmp / "var")
        )
        apibench.release_parquet(var_dir, log)
        common = {
            "bench": "dashboard",
            "generator": generator,
            "connections": args.connections,
            "duration_s": args.duration,
            "workers": args.workers,
        }
        paths = pages(var_dir)
        runs: dict[str, dict[str, dict[str, Any]]] = {}
        browser: dict[str, dict[str, Any]] = {}
        # cache off: what building each page costs; cache on (as deployed, judged): rendered
        # pages kept per release and URL (a release never changes)
        for cache in ("off", "on"):
            with apibench.ardoise_serve(
                var_dir, log, workers=args.workers, cache=cache == "on"
            ) as (port, proc):
                results = runs[cache] = apibench.load_groups(
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
                    r = results[name]
                    print(
                        json.dumps(
                            {
                                **common,
                                "cache": cache,
                                "page": name,
                                "endpoint": group[0],
                                "urls": len(group),
                                **r,
                            }
                        ),
                        flush=True,
                    )
                if cache == "on":
                    firsts = {n: g[0] for n, g in paths.items() if n != "health"}
                    browser = browser_runs(port, firsts, args.visits)
                    for name, b in browser.items():
                        print(
                            json.dumps(
                                {
                                    "bench": "dashboard",
                                    "browser": "chromium",
                                    "viewport": "390x844 mobile",
                                    "page": name,
                                    **b,
                                }
                            ),
                            flush=True,
                        )
        results = runs["on"]
        names = [n for n in paths if n != "health"]
        met = {
            f"p50_le_{TARGET_P50_MS:g}ms_{n}": results[n]["p50_ms"] <= TARGET_P50_MS for n in names
        }
        for name in ("accueil", "territoire"):
            ms = browser[name]["charts_drawn_ms_median"]
            met[f"map_drawn_le_{TARGET_MAP_MS:g}ms_{name}"] = ms is not None and ms <= TARGET_MAP_MS
        print(
            json.dumps(
                {
                    **common,
                    "summary": True,
                    "judged_on": "cache on (as deployed), 16 connections, several URLs per page",
                    "targets": {"p50_ms": TARGET_P50_MS, "map_drawn_ms": TARGET_MAP_MS},
                    "server_cache_off": {
                        n: {
                            k: runs["off"][n][k]
                            for k in ("rps", "p50_ms", "p99_ms", "ratio_p50_to_health")
                        }
                        for n in paths
                    },
                    "server": {
                        n: {
                            k: results[n][k]
                            for k in ("rps", "p50_ms", "p99_ms", "ratio_p50_to_health")
                        }
                        for n in paths
                    },
                    "browser": browser,
                    "met": met,
                    "all_met": all(met.values()),
                }
            ),
            flush=True,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
