"""Metadata endpoints (issue #6) under load, beside a trivial ``/health`` in the same run.

``ardoise serve`` (as deployed: ``--workers`` processes, response cache on) over a release
of the real mirror (built once, or reused with ``--var-dir``). Endpoints: ``/llms.txt``,
the DCAT-AP catalogue (RDF/XML and Turtle), the release's ``datapackage.json`` and the
Markdown twins of dataset, indicator and territory pages (several URLs each, in turn).
No target is set by the issue for these: each line gives p50/p99 and the ratio of its p50
to that of ``/health``.

    .venv/bin/python bench/metadata.py [--duration 5] [--var-dir DIR] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api as apibench

ROOT = apibench.ROOT
HEALTH = "/health"
V21 = "/api/explore/v2.1/catalog/exports"


def endpoints(var_dir: Path) -> dict[str, list[str]]:
    current = (var_dir / "current").resolve()
    manifest = json.loads((current / "manifest.json").read_text("utf-8"))
    datasets = sorted(k for k, v in manifest["datasets"].items() if v.get("parquet"))[:10]
    definitions = json.loads((current / "indicators" / "definitions.json").read_text("utf-8"))
    ids = (
        [d["id"] for d in definitions][:10]
        if isinstance(definitions, list)
        else sorted(definitions)[:10]
    )
    return {
        "health": [HEALTH],
        "llms_txt": ["/llms.txt"],
        "dcat_rdfxml": [f"{V21}/dcat"],
        "dcat_turtle": [f"{V21}/ttl"],
        "datapackage": ["/api/v1/datapackage.json"],
        "dataset_md": [f"/donnees/{d}.md" for d in datasets],
        "indicator_md": [f"/indicateurs/{i}.md" for i in ids],
        "territory_md": [f"/territoires/academie/{c}.md" for c in ("01", "02", "10", "14", "16")],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    apibench.load_arguments(parser, duration=5, warmup=1, connections=8)
    parser.add_argument("--var-dir", type=Path, help="reuse (or build once into) this var dir")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that every finally runs

    generator, load = apibench.load_generator(args.generator)
    tmp = Path(tempfile.mkdtemp(prefix="ardoise-bench-metadata-"))
    log = tmp / "server.log"
    try:
        var_dir = args.var_dir.resolve() if args.var_dir else tmp / "var"
        apibench.release_parquet(var_dir, log)  # runs `ardoise ingest` when there is no release
        common = {
            "bench": "metadata",
            "generator": generator,
            "workers": args.workers,
            "connections": args.connections,
            "duration_s": args.duration,
        }
        paths = endpoints(var_dir)
        with apibench.ardoise_serve(var_dir, log, workers=args.workers) as (port, proc):
            results = apibench.load_groups(
                port,
                proc,
                paths,
                load,
                duration=args.duration,
                warmup=args.warmup,
                connections=args.connections,
                threads=args.threads,
            )
        for name, r in results.items():
            print(
                json.dumps(
                    {
                        **common,
                        "name": name,
                        "endpoint": paths[name][0],
                        "urls": len(paths[name]),
                        **r,
                    }
                ),
                flush=True,
            )
        print(
            json.dumps(
                {
                    **common,
                    "summary": True,
                    "figures": {
                        n: {
                            k: r[k]
                            for k in ("rps", "p50_ms", "p99_ms", "ratio_p50_to_health", "errors")
                        }
                        for n, r in results.items()
                    },
                }
            ),
            flush=True,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
