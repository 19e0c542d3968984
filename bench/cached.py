"""The cached path (issue #14): a repeated URL, answered from the response cache, against
nginx serving a static file of the same size on the same core, in the same run.

One URL (``academie_top20`` of bench/api.py: 20 records of the IPS des écoles, 12.9 KB),
stored in the response cache by a first request. For each configuration, ``--repeat`` runs
interleaved (nginx, Ardoise, Ardoise again… then the next run), wrk ``-t2 -c16`` pinned to
``--client-cpus``; each run gives rps, p50, p99, the server's CPU per request (utime +
stime of its process group over the run, from /proc) and the load generator's CPU (wrk's,
from ``getrusage`` of the bench's children). Lines of JSON; the summary gives medians and
spreads (min–max) over the runs.

* ``nginx``: one worker process pinned to ``--server-cpus``, access log off, serving a file
  holding the cached answer's body (same bytes, same size), ``application/json``.
* ``ardoise``: ``ardoise serve`` (1 worker, pinned to ``--server-cpus``, usage counting on,
  metrics, rate-limit headers: the default service).
* ``ardoise_2_workers``: ``ardoise serve --workers 2`` on both cores, the client on the
  same two cores (the machine has two). The client's share is accounted for two ways:
  ``scaling_cpu`` compares the server's CPU per request (2 workers on 2 cores at 100 %
  would serve ``2 / cpu_per_request`` requests a second) with the 1-worker run's
  measured rps per server core used; ``scaling_raw`` is the plain rps ratio, client
  included on the same cores.

    .venv/bin/python bench/cached.py [--var-dir var] [--duration 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import api as apibench  # noqa: E402

URL = apibench.ARDOISE["academie_top20"]
NGINX_CONF = """worker_processes 1;
daemon off;
user root;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  default_type application/json;
  server {{ listen 127.0.0.1:{port}; root {tmp}/www; }}
}}
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_load(args: argparse.Namespace, port: int, path: str, pid: int) -> dict[str, Any]:
    """One recorded wrk run (after an unrecorded warm-up): its figures, the server's CPU
    per request and the client's CPU share of the run."""
    hz = os.sysconf("SC_CLK_TCK")
    if args.warmup > 0:
        apibench.load_wrk(port, path, args.warmup, args.connections, args.threads)
    apibench.wait_idle(pid)
    ticks, client = apibench._cpu_ticks(pid), children_cpu()
    r = apibench.load_wrk(port, path, args.duration, args.connections, args.threads)
    client_s = children_cpu() - client
    apibench.wait_idle(pid)
    server_s = (apibench._cpu_ticks(pid) - ticks) / hz
    if r["errors"]:
        raise SystemExit(f"wrk : {r['errors']} erreurs sur {path}")
    r["server_cpu_us_per_request"] = round(server_s * 1e6 / max(1, r["requests"]), 1)
    r["server_cores_used"] = round(server_s / args.duration, 2)
    # what one full core would serve at that CPU per request (the machine is shared: the
    # server may get much less than its core, and its rps says so)
    r["rps_per_server_core"] = round(r["requests"] / server_s) if server_s else None
    r["client_cores_used"] = round(client_s / args.duration, 2)
    return r


def ardoise_env(var_dir: Path, port: int, count: bool = True) -> dict[str, str]:
    env = dict(
        os.environ,
        ARDOISE_VAR_DIR=str(var_dir),
        ARDOISE_PORT=str(port),
        ARDOISE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ARDOISE_ACCESS_LOG="0",
        ARDOISE_QUERY_THREADS="1",
        ARDOISE_USAGE_COUNT="1" if count else "0",
        PYTHONPATH=str(ROOT / "src"),
    )
    env.pop("ARDOISE_RESPONSE_CACHE_ENTRIES", None)
    return env


def ardoise_cmd(port: int, workers: int) -> list[str]:
    cmd = [sys.executable, "-m", "ardoise.cli", "serve", "--port", str(port)]
    return [*cmd, "--workers", str(workers)] if workers > 1 else cmd


def nginx_run(args: argparse.Namespace, tmp: Path, body: bytes) -> dict[str, Any]:
    port = apibench._free_port()
    (tmp / "www").mkdir(exist_ok=True)
    (tmp / "www" / "answer.json").write_bytes(body)
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    cmd = [*apibench.pinned(args.server_cpus), nginx, "-c", str(conf), "-p", str(tmp)]
    with apibench.server(cmd, dict(os.environ), port, "/answer.json", tmp / "nginx.log") as p:
        return run_load(args, port, "/answer.json", p.pid)


def ardoise_run(
    args: argparse.Namespace, tmp: Path, workers: int, count: bool = True
) -> tuple[dict[str, Any], bytes]:
    port = apibench._free_port()
    env = ardoise_env(args.var_dir.resolve(), port, count)
    cpus = args.server_cpus if workers == 1 else f"{args.server_cpus},{args.client_cpus}"
    cmd = apibench.pinned(cpus) + ardoise_cmd(port, workers)
    with apibench.server(cmd, env, port, "/health", tmp / "ardoise.log") as proc:
        status, body = apibench._get(port, URL)  # computed once, now in the cache
        if status != 200:
            raise SystemExit(f"ardoise {URL}: HTTP {status} {body[:300]!r}")
        settle(proc.pid, args.settle)  # the warm-up thread (territories, indicators) ends
        return run_load(args, port, URL, proc.pid), body


def settle(pgid: int, seconds: float, timeout: float = 180) -> None:
    """Waits until the server has used under 2 % of a core for ``seconds`` in a row: the
    warm-up of a real release (territory index, indicators) takes tens of seconds of CPU
    on a loaded machine, and would be counted in the first run."""
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = apibench._cpu_ticks(pgid)
        time.sleep(seconds)
        if apibench._cpu_ticks(pgid) - before <= 0.02 * hz * seconds:
            return


def spread(values: list[float], digits: int = 1) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def summary(runs: dict[str, list[dict[str, Any]]], common: dict[str, Any]) -> dict[str, Any]:
    rps = {k: [r["rps"] for r in v] for k, v in runs.items()}
    cpu = {k: [r["server_cpu_us_per_request"] for r in v] for k, v in runs.items()}
    to_nginx = [a / n for a, n in zip(rps["ardoise"], rps["nginx"], strict=True)]
    per_core = [
        a["rps_per_server_core"] / n["rps_per_server_core"]
        for a, n in zip(runs["ardoise"], runs["nginx"], strict=True)
    ]
    out: dict[str, Any] = {
        **common,
        "summary": True,
        "rps": {k: spread(v) for k, v in rps.items()},
        "rps_per_server_core": {
            k: spread([r["rps_per_server_core"] for r in v]) for k, v in runs.items()
        },
        "server_cpu_us_per_request": {k: spread(v) for k, v in cpu.items()},
        "p99_ms": {k: spread([r["p99_ms"] for r in v]) for k, v in runs.items()},
        "ratio_to_nginx": {
            "median": round(statistics.median(to_nginx), 3),
            "min": round(min(to_nginx), 3),
            "max": round(max(to_nginx), 3),
        },
        "ratio_to_nginx_per_server_core": spread(per_core, 3),
    }
    met = {
        "rps_ge_6000": out["rps"]["ardoise"]["median"] >= 6000,
        "rps_per_server_core_ge_6000": out["rps_per_server_core"]["ardoise"]["median"] >= 6000,
        "ge_10_percent_of_nginx": out["ratio_to_nginx"]["median"] >= 0.10,
        "ge_10_percent_of_nginx_per_server_core": statistics.median(per_core) >= 0.10,
    }
    if "ardoise_2_workers" in runs:
        one, two = runs["ardoise"], runs["ardoise_2_workers"]
        # rps one worker gives per core it uses, against what 2 workers would give on 2
        # full cores at their measured CPU per request: the client's CPU is left out
        per_core_1 = [r["rps"] / max(r["server_cores_used"], 0.01) for r in one]
        capacity_2 = [2e6 / r["server_cpu_us_per_request"] for r in two]
        scaling_cpu = [c / p for c, p in zip(capacity_2, per_core_1, strict=True)]
        scaling_raw = [b["rps"] / a["rps"] for a, b in zip(one, two, strict=True)]
        out["scaling_2_workers"] = {
            "cpu_accounted": spread(scaling_cpu, 2) | {"unit": "×"},
            "raw_rps_ratio_client_on_same_cores": spread(scaling_raw, 2),
            "client_cores_used_2_workers": spread([r["client_cores_used"] for r in two], 2),
        }
        met["scaling_ge_1_7"] = statistics.median(scaling_cpu) >= 1.7
    out["targets_met"] = met
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    apibench.load_arguments(parser, duration=10, warmup=2, connections=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var", help="a var dir (built once)")
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--client-cpus", default="1")
    parser.add_argument("--settle", type=float, default=3, help="seconds of idle server")
    parser.add_argument("--no-workers", action="store_true", help="skip the 2-worker runs")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that every server stops
    if not shutil.which("wrk") or not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        raise SystemExit("wrk ou nginx manque : apt-get install -y wrk nginx")
    apibench.CLIENT_PIN[:] = apibench.pinned(args.client_cpus)
    common = {
        "bench": "cached_path",
        "url": URL,
        "connections": args.connections,
        "duration_s": args.duration,
        "repeat": args.repeat,
        "server_cpus": args.server_cpus,
        "client_cpus": args.client_cpus,
    }
    runs: dict[str, list[dict[str, Any]]] = {"nginx": [], "ardoise": []}
    if not args.no_workers:
        runs["ardoise_2_workers"] = []
    with tempfile.TemporaryDirectory(prefix="ardoise-bench-cached-") as name:
        tmp = Path(name)
        apibench.release_parquet(args.var_dir.resolve(), tmp / "ingest.log")  # or build it
        for i in range(args.repeat):
            one, body = ardoise_run(args, tmp, 1)
            line = nginx_run(args, tmp, body)
            for config, r in (("nginx", line), ("ardoise", one)):
                runs[config].append(r)
                print(json.dumps({**common, "run": i, "server": config, **r}), flush=True)
            if not args.no_workers:
                apibench.CLIENT_PIN[:] = apibench.pinned(f"{args.server_cpus},{args.client_cpus}")
                two, _ = ardoise_run(args, tmp, 2)
                apibench.CLIENT_PIN[:] = apibench.pinned(args.client_cpus)
                runs["ardoise_2_workers"].append(two)
                print(json.dumps({**common, "run": i, "server": "ardoise_2_workers", **two}))
        common["bytes"] = len(body)
    print(json.dumps(summary(runs, common)), flush=True)


if __name__ == "__main__":
    main()
