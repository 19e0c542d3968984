"""MCP tools over streamable HTTP (issue #6): each tool's latency beside ``/health``.

Target: every tool answers in ≤ 50 ms p50 over HTTP on the mirror release. ``ardoise serve``
(1 worker) runs on a release of the real mirror (built once, or reused with ``--var-dir``).
Each tool is called as one JSON-RPC POST to ``/mcp`` (stateless, JSON response: what an MCP
client sends per call once initialised), sequentially over one keep-alive connection, after
a warm-up; ``/health`` is measured the same way in the same run, as the baseline. The answer
of every call is checked (HTTP 200, no ``isError``) before timing. One JSON line per tool
with p50/p90/p99 and the ratio of its p50 to that of ``/health``, then a summary line.

    .venv/bin/python bench/mcp_tools.py [--calls 200] [--warmup 20] [--var-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api as apibench

ROOT = apibench.ROOT
TARGET_P50_MS = 50.0
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
# One realistic call per tool (names and arguments as an assistant would send them).
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "search_datasets": ("search_datasets", {"query": "IPS des collèges"}),
    "describe_dataset": ("describe_dataset", {"dataset_id": "fr-en-ips-colleges-ap2022"}),
    "query_records": (
        "query_records",
        {
            "dataset_id": "fr-en-ips-ecoles-ap2022",
            "select": "code_du_departement, avg(ips) as ips_moyen, count(ips) as n",
            "where": 'rentree_scolaire = "2024-2025" and code_de_l_academie = "10"',
            "group_by": "code_du_departement",
            "order_by": "code_du_departement",
        },
    ),
    "find_territory": ("find_territory", {"name": "collège Jean Moulin à Lyon"}),
    "get_indicator": (
        "get_indicator",
        {
            "indicator_id": "ips_moyen_colleges",
            "territory": "departement:48",
            "school_year": "2022-2023",
        },
    ),
    "compare_territories": (
        "compare_territories",
        {
            "indicator_id": "taux_reussite_dnb",
            "school_year": "2023-2024",
            "territories": ["departement:48", "departement:12", "academie:10", "france"],
        },
    ),
    "list_indicators": ("list_indicators", {}),
}


def _post(client: httpx.Client, tool: str, args: dict[str, Any], n: int) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "id": n,
        "method": "tools/call",
        "params": {"name": tool, "arguments": args},
    }
    return client.post("/mcp", json=body, headers=HEADERS)


def _check(name: str, r: httpx.Response) -> None:
    if r.status_code != 200:
        raise SystemExit(f"{name}: HTTP {r.status_code} {r.text[:300]}")
    result = r.json().get("result") or {}
    if result.get("isError") or not result.get("structuredContent"):
        raise SystemExit(f"{name}: erreur d'outil {json.dumps(result)[:300]}")


def _measure(call: Any, calls: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    q = statistics.quantiles(times, n=100, method="inclusive")
    return {
        "calls": calls,
        "p50_ms": round(statistics.median(times), 2),
        "p90_ms": round(q[89], 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(times[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200, help="timed calls per tool")
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls first")
    parser.add_argument("--var-dir", type=Path, help="reuse (or build once into) this var dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that every finally runs
    tmp = Path(tempfile.mkdtemp(prefix="ardoise-bench-mcp-"))
    log = tmp / "server.log"
    try:
        var_dir = args.var_dir.resolve() if args.var_dir else tmp / "var"
        apibench.release_parquet(var_dir, log)  # runs `ardoise ingest` when there is no release
        port = apibench._free_port()
        env = dict(
            os.environ,
            ARDOISE_VAR_DIR=str(var_dir),
            ARDOISE_PORT=str(port),
            ARDOISE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        )
        cmd = [str(ROOT / ".venv" / "bin" / "ardoise"), "serve", "--port", str(port)]
        common = {
            "bench": "mcp",
            "transport": "streamable-http (stateless, JSON)",
            "server": "ardoise serve, 1 worker",
            "sequential": True,
        }
        results: dict[str, dict[str, Any]] = {}
        with (
            apibench.server(cmd, env, port, "/health", log),
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client,
        ):
            for name, (tool, arguments) in CALLS.items():  # every answer checked first
                _check(name, _post(client, tool, arguments, 0))
            results["health"] = _measure(
                lambda: client.get("/health").raise_for_status(), args.calls, args.warmup
            )
            for name, (tool, arguments) in CALLS.items():
                results[name] = _measure(
                    lambda tool=tool, arguments=arguments: _post(client, tool, arguments, 1),
                    args.calls,
                    args.warmup,
                )
        health = results["health"]["p50_ms"]
        for name, r in results.items():
            r["ratio_p50_to_health"] = round(r["p50_ms"] / health, 2) if health else None
            print(json.dumps({**common, "name": name, **r}), flush=True)
        met = {
            f"p50_le_{TARGET_P50_MS:g}ms_{n}": results[n]["p50_ms"] <= TARGET_P50_MS for n in CALLS
        }
        print(
            json.dumps(
                {
                    **common,
                    "summary": True,
                    "target_p50_ms": TARGET_P50_MS,
                    "health_p50_ms": health,
                    "p50_ms": {n: results[n]["p50_ms"] for n in CALLS},
                    "targets_met": met,
                    "all_met": all(met.values()),
                }
            ),
            flush=True,
        )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
