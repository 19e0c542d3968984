"""``ardoise-usages``, the usage counters published as an open dataset (issue #17).

A release is immutable and the counters change every second, so the dataset is a snapshot:
every release built (``ardoise ingest``) carries the *complete* days (UTC) counted before
it, written here as a CSV and ingested by the same pipeline as every other dataset (record
ids, checks, quality report, manifest hashes, catalogue, DCAT, exports). Publishing it daily
is one more release: ``ardoise ingest --only ardoise-usages`` just after midnight (the
systemd timer in ``deploy/``); a day with no new count publishes nothing (same
fingerprint). Today, still being counted, is never in it: ``/usages`` shows it live.

>>> from ardoise.usage.store import Count
>>> rows = [Count("2026-12-06", "ips", "export", "csv", "desktop", 2, 900),
...         Count("2026-12-07", "ips", "records", "", "phone", 3, 30)]
>>> [r.day for r in complete_days(rows, "2026-12-07")]
['2026-12-06']
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from ardoise.usage.store import Count, UsageStore

DATASET_ID = "ardoise-usages"
DESCRIPTOR = Path(__file__).with_name(f"{DATASET_ID}.yaml")
SOURCE_NAME = f"{DATASET_ID}.csv"  # the descriptor's source path
COLUMNS = ("jour", "jeu", "surface", "detail", "appareil", "appels", "octets")


def complete_days(rows: Iterable[Count], today: str) -> list[Count]:
    """The rows of days before ``today`` (ISO date, UTC): a day still counted is left out."""
    return [r for r in rows if r.day < today]


def write_source(store: UsageStore, folder: Path, now: datetime | None = None) -> int:
    """``folder/ardoise-usages.csv``: the complete days of ``store``; the number of rows
    written (0: no file, there is nothing to publish yet)."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date().isoformat()
    rows = complete_days(store.counts(), today)
    if not rows:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / SOURCE_NAME).open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for r in rows:
            out.writerow((r.day, r.dataset, r.surface, r.detail, r.device, r.calls, r.bytes))
    return len(rows)
