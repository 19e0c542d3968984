"""The v1 paging and sorting parameters: ``rows``/``start`` and ``sort`` (records and
datasets), with the portal's French message for a bad value.

v1 conventions: ``sort=field`` is descending and ``sort=-field`` ascending (comma-separated
or repeated); ``rows`` ≤ 10 000 and ``start + rows`` ≤ 10 000 (the records window).
"""

from __future__ import annotations

from collections.abc import Sequence

from ardoise.odsql.errors import InvalidParameter
from ardoise.odsql.schema import Schema
from ardoise.query.limits import RECORDS_MAX_WINDOW, parse_int_parameter

SORT_NOOP = frozenset({"record_timestamp", "-record_timestamp"})  # one timestamp per release
# v1 names of the catalogue's sort fields → its ODSQL fields
CATALOG_SORT = {
    "modified": "modified",
    "issued": "modified",
    "created": "modified",
    "records_count": "records_count",
    "title": "title",
    "datasetid": "dataset_id",
    "dataset_id": "dataset_id",
}


def invalid(name: str, raw: str, expected: str) -> InvalidParameter:
    shown = raw if len(raw) <= 60 else raw[:60] + "…"
    return InvalidParameter(
        f"Valeur invalide pour le paramètre {name} : « {shown} ». Attendu : {expected}."
    )


def window(rows: str | None, start: str | None) -> tuple[int, int]:
    """``(rows, start)``: 10 and 0 by default, within the records window."""
    n = parse_int_parameter("rows", rows)
    first = parse_int_parameter("start", start)
    n = 10 if n is None else n
    first = 0 if first is None else first
    if n < 0 or n > RECORDS_MAX_WINDOW:
        raise invalid("rows", str(rows), f"un entier entre 0 et {RECORDS_MAX_WINDOW}")
    if first < 0:
        raise invalid("start", str(start), "un entier positif ou nul")
    if first + n > RECORDS_MAX_WINDOW:
        raise InvalidParameter(
            f"Valeur invalide pour start + rows : {first + n}. Attendu : au plus "
            f"{RECORDS_MAX_WINDOW} (utilisez le téléchargement pour tout obtenir)."
        )
    return n, first


def _sort_items(sort: Sequence[str] | None) -> list[tuple[str, str, str, str]]:
    """``(parameter, item, name, direction)`` of every item of the v1 ``sort``."""
    items = []
    for raw in sort or ():
        for part in raw.split(","):
            part = part.strip()
            if part:
                name, direction = (part[1:], "asc") if part.startswith("-") else (part, "desc")
                items.append((raw, part, name, direction))
    return items


def order_by(sort: Sequence[str] | None, schema: Schema) -> str | None:
    """The v1 records ``sort`` as an ODSQL ``order_by`` on the dataset's fields."""
    items = []
    for raw, part, name, direction in _sort_items(sort):
        if part in SORT_NOOP:
            continue
        found = schema.lookup(name.strip())
        if found is None:
            raise invalid(
                "sort", raw, "le nom d'un champ du jeu, précédé de « - » pour un tri croissant"
            )
        items.append(f"`{found[0]}` {direction}")
    return ", ".join(items) or None


def catalog_order(sort: Sequence[str] | None) -> str | None:
    """The v1 datasets ``sort`` as an ODSQL ``order_by`` on the catalogue (ties by id)."""
    items = []
    for raw, _part, name, direction in _sort_items(sort):
        field = CATALOG_SORT.get(name)
        if field is None:
            raise invalid(
                "sort",
                raw,
                "modified, issued, created, records_count, title "
                "ou datasetid, précédé de « - » pour un tri croissant",
            )
        items.append(f"{field} {direction}")
    return ", ".join([*items, "dataset_id"]) if items else None
