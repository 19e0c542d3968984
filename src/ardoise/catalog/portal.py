"""The portal's own catalogue export: every dataset data.education.gouv.fr publishes.

Ardoise lists them all, marking which ones it holds, so users see what exists and what is
missing (issue #2). The export is read from the mirror.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from ardoise.catalog.model import KnownDataset

PORTAL_EXPORT = "datactivist-qualite-data-education/ods-datasets-monitoring.csv"


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def read_portal_catalog(mirror: Path, held: Iterable[str]) -> tuple[KnownDataset, ...]:
    """Datasets of the portal's export, sorted by id; empty when the export is absent."""
    path = mirror / PORTAL_EXPORT
    if not path.is_file():
        return ()
    held_ids = set(held)
    text = path.read_bytes().decode("utf-8-sig")
    rows = csv.DictReader(io.StringIO(text), delimiter=";")
    out = [
        KnownDataset(
            id=r["dataset_id"],
            title=r.get("title") or "",
            publisher=r.get("publisher") or "",
            licence=r.get("license") or "",
            keywords=_split(r.get("keyword")),
            themes=_split(r.get("theme")),
            modified=r.get("modified") or "",
            records_count=_int(r.get("records_count")),
            api_calls=_int(r.get("API call count")),
            downloads=_int(r.get("Download count")),
            held=r["dataset_id"] in held_ids,
        )
        for r in rows
        if r.get("dataset_id")
    ]
    return tuple(sorted(out, key=lambda d: d.id))
