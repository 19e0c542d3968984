"""``query_records``: ODSQL through the same data function as the Explore API
(``query.run.run_records``), results capped with an explicit truncation note.

``total_count`` is the engine's exact count of matching records (or groups), never the
number of rows shown: a model must not read "20 rows" as "20 schools" (reference §4).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ardoise.mcp.citations import Citer
from ardoise.mcp.datasets import view_of
from ardoise.mcp.schemas import RecordsResult
from ardoise.query import run
from ardoise.query.model import RecordsQuery
from ardoise.query.release import ServedRelease

MAX_ROWS = 100
DEFAULT_ROWS = 20
SHAPE_OMITTED = "(contour omis : exportez en GeoJSON)"


def query_records(
    release: ServedRelease,
    citer: Citer,
    dataset_id: str,
    *,
    where: str | None = None,
    select: str | None = None,
    group_by: str | None = None,
    order_by: str | None = None,
    limit: int | None = None,
) -> RecordsResult:
    view = view_of(release, dataset_id)
    asked = DEFAULT_ROWS if limit is None else limit
    query = RecordsQuery(
        select=_blank(select),
        where=_blank(where),
        group_by=_blank(group_by),
        order_by=_blank(order_by),
        limit=asked,
    )
    page = run.run_records(release, view.id, query)
    shapes = {c.name for c in page.columns if c.type == "geo_shape"}
    rows = [
        {k: (SHAPE_OMITTED if k in shapes and v is not None else _json(v)) for k, v in row.items()}
        for row in page.rows
    ]
    truncated = page.total_count > len(rows)
    unit = "groupes" if page.grouped else "enregistrements"
    if truncated:
        note = (
            f"Résultat TRONQUÉ : {len(rows)} {unit} rendus sur {page.total_count} au total "
            f"(limit={asked}, au plus {MAX_ROWS}). Le total est exact ; pour un chiffre "
            "d'ensemble, agrégez avec select (count(*), avg(champ), sum(champ)) et "
            "group_by plutôt que de compter les lignes rendues."
        )
    else:
        note = f"Résultat complet : {page.total_count} {unit}."
    if shapes and rows:
        note += f" Champs géométriques omis : {', '.join(sorted(shapes))}."
    return RecordsResult(
        dataset_id=view.id,
        total_count=page.total_count,
        rendus=len(rows),
        tronque=truncated,
        note=note,
        colonnes=[c.name for c in page.columns],
        lignes=rows,
        citation=citer.cite([view.id], citer.records_url(view.id, query)),
    )


def _blank(text: str | None) -> str | None:
    return text if text is not None and text.strip() else None


def _json(value: Any) -> Any:
    """A stored value as JSON: ISO dates, floats for decimals, parsed geo points."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return json.loads(json.dumps(value, default=str))
