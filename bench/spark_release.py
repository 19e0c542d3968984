"""``make bench-spark`` over a real release (``--release DIR``): the same comparison as the
case table, on the release's own Parquet files, with ODSQL queries written from each
dataset's schema (the case table only knows the 30-school fixture).

Each published dataset gets up to six queries, each with a defined answer (a total order,
or one row): its row count; 50 records ordered by every field they show (tied rows are
then identical); a ``group_by`` on its first text field, ordered by count then value;
min, max, mean and sum of three numeric fields; counts per year of a date field; a
full-text search (accents ignored, ``STRIP_ACCENTS`` on Spark).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ardoise.catalog.loader import load_published
from ardoise.odsql.schema import Schema
from ardoise.query.model import RecordsQuery
from ardoise.release.manifest import Manifest

ORDERABLE = ("text", "int", "double", "date", "datetime", "boolean")


@dataclass(frozen=True)
class ReleaseCase:
    """A query on one dataset of a release, shaped like a case of the table."""

    id: str
    table: str
    schema: Schema
    request: RecordsQuery
    expected: dict[str, Any] = field(default_factory=dict)  # none: the two engines judge

    def query(self) -> RecordsQuery:
        return self.request


def view_name(dataset_id: str) -> str:
    """A table name both engines take unquoted.

    >>> view_name("fr-en-ips_colleges")
    'fr_en_ips_colleges'
    """
    return re.sub(r"\W", "_", dataset_id)


def _field(name: str) -> str:
    return f"`{name}`"


def queries(schema: Schema) -> dict[str, RecordsQuery]:
    """The queries written for a dataset of this schema, by kind.

    >>> s = Schema("t", (("nom", "text"), ("n", "int"), ("ouverture", "date")))
    >>> q = queries(s)
    >>> sorted(q)
    ['count', 'group', 'records', 'search', 'stats', 'year']
    >>> q["group"].order_by
    'n desc, `nom`'
    """
    shown = [_field(n) for n, kind in schema.fields if kind in ORDERABLE][:8]
    texts = [_field(n) for n in schema.of_type("text")]
    numbers = [_field(n) for n in schema.of_type("int", "double")][:3]
    dates = [_field(n) for n in schema.of_type("date", "datetime")]
    found: dict[str, RecordsQuery] = {"count": RecordsQuery(select="count(*) as n")}
    if shown:
        listed = ", ".join(shown)
        found["records"] = RecordsQuery(select=listed, order_by=listed, limit=50)
    if texts:
        first = texts[0]
        found["group"] = RecordsQuery(
            select=f"{first}, count(*) as n", group_by=first, order_by=f"n desc, {first}", limit=50
        )
        found["search"] = RecordsQuery(select="count(*) as n", where=('"paris"',))
    if numbers:
        parts = [
            f"{fn}({x}) as {fn}_{i}"
            for i, x in enumerate(numbers)
            for fn in ("min", "max", "avg", "sum")
        ]
        found["stats"] = RecordsQuery(select=", ".join(parts))
    if dates:
        year = f"year({dates[0]})"
        found["year"] = RecordsQuery(
            select=f"{year} as annee, count(*) as n", group_by=year, order_by="annee", limit=100
        )
    return found


def release_cases(release: Path) -> tuple[dict[str, Path], list[ReleaseCase]]:
    """The tables (view name → Parquet file) and the queries of a release directory."""
    manifest = Manifest.read(release / "manifest.json")
    tables: dict[str, Path] = {}
    cases: list[ReleaseCase] = []
    for dataset_id, entry in sorted(manifest.datasets.items()):
        if entry.parquet is None:
            continue
        table = view_name(dataset_id)
        tables[table] = release / entry.parquet.path
        dataset = load_published(release / "catalog" / f"{dataset_id}.yaml")
        schema = Schema.from_dataset(dataset, table)
        for kind, request in queries(schema).items():
            cases.append(ReleaseCase(f"release:{dataset_id}:{kind}", table, schema, request))
    return tables, cases
