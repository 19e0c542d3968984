"""What the disclosure control of the count indicators costs (issue #16), on a real release.

For each count indicator of the release (``indicator_disclosure.additive``, whole numbers),
one JSON line: its cells, how many are suppressed (A: under the threshold, D: secondary),
the relations of its linked tables, the median seconds of ``protection_for`` over
``--rounds`` runs, and the baseline measured in the same run: reading the same rows from the
indicator index (what serving every value of the indicator costs without protection), with
their ratio. This is paid once per release and set of restricted datasets (memoised), at
the release's load, never per request.

    .venv/bin/python bench/indicator_disclosure.py [--release var/current] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ardoise.disclosure import Status  # noqa: E402
from ardoise.query import indicator_disclosure as secrecy  # noqa: E402
from ardoise.query.indicator_index import index_for  # noqa: E402
from ardoise.query.indicator_store import store_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=ROOT / "var" / "current")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = args.release.resolve()
    started = time.perf_counter()
    index = index_for(path)
    loaded = time.perf_counter() - started
    store = store_for(path, path.name)
    lines = []
    for d in store.definitions.values():
        if not secrecy.additive(d):
            continue
        if not secrecy.whole_numbers(index, d):
            print(
                json.dumps(
                    {
                        "bench": "indicator_disclosure",
                        "indicateur": d.id,
                        "note": "non entier : retenu",
                    }
                )
            )
            continue
        reads, runs = [], []
        protection = None
        for _ in range(args.rounds):
            t = time.perf_counter()
            rows = secrecy._all_rows(index, d)
            reads.append(time.perf_counter() - t)
            t = time.perf_counter()
            protection = secrecy.protection_for(index, d)
            runs.append(time.perf_counter() - t)
        assert protection is not None
        seconds, baseline = statistics.median(runs), statistics.median(reads)
        lines.append(
            {
                "bench": "indicator_disclosure",
                "indicateur": d.id,
                "lignes": len(rows),
                "cases": len(protection.status),
                "A": sum(1 for s in protection.status.values() if s is Status.FREQUENCY),
                "D": sum(1 for s in protection.status.values() if s is Status.SECONDARY),
                "relations": protection.relations,
                "restes": protection.remainders,
                "debordements": protection.overlaps,
                "secondes": round(seconds, 3),
                "lecture_secondes": round(baseline, 3),
                "ratio": round(seconds / baseline, 2),
                "index_secondes": round(loaded, 2),
            }
        )
        print(json.dumps(lines[-1]))
    if lines:  # the largest linked table: the figure the README gives
        top = max(lines, key=lambda line: line["cases"])
        print(json.dumps({**top, "summary": True, "indicateurs": len(lines)}))


if __name__ == "__main__":
    main()
