"""Which tables the SQL surface (``/api/v1/sql``) lets a caller read, and where they are.

A release offers, under plain names: each published dataset (its id, and the same id with
``_`` for ``-``, so that ``fr_en_ips_colleges`` needs no quotes), the indicator tables
(``indicateurs_valeurs``, ``indicateurs_filtres``) and the territory tables (``communes``,
``departements``, ``academies``, ``regions``, ``regions_academiques``). The tables of
another published release are the same names prefixed by its id:
``"20240901T000000Z-ab12cd34".fr_en_ips_colleges``.

:func:`visible_tables` is the one function that decides what a caller sees: a restricted
dataset (issue #16) is offered only to a reader whose grant shows all of it (every row, every
field); a grant with a row filter or hidden fields is served by the Explore API, whose
compiler composes the filter, never by raw SQL over the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ardoise.errors import ArdoiseError, ReleaseNotFound
from ardoise.odsql.errors import InvalidParameter
from ardoise.query.access import Access
from ardoise.release.manifest import Manifest
from ardoise.release.store import ReleaseStore

INDICATOR_TABLES = {
    "indicateurs_valeurs": "indicators/valeurs.parquet",
    "indicateurs_filtres": "indicators/filtres.parquet",
}
TERRITORY_TABLES = {
    "communes": "referential/communes.parquet",
    "departements": "referential/departements.parquet",
    "academies": "referential/academies.parquet",
    "regions": "referential/regions.parquet",
    "regions_academiques": "referential/regions_academiques.parquet",
}


@dataclass(frozen=True)
class SqlTable:
    """One readable table: its name in SQL, what it holds, its Parquet file."""

    name: str
    kind: str  # "jeu", "indicateurs" or "territoires"
    dataset_id: str | None
    path: Path


@dataclass(frozen=True)
class Grant:
    """The datasets a caller may not read in SQL (restricted ones without a full grant)."""

    hidden: frozenset[str] = frozenset()
    indicators: bool = True  # False: some indicator is computed from a hidden dataset


def sql_grant(access: Access) -> Grant:
    """What ``access`` lets SQL read: restricted datasets only under a full grant."""
    hidden = set()
    for dataset_id in access.restricted:
        grant = access.grant(dataset_id)
        if grant is None or not grant.full:
            hidden.add(dataset_id)
    return Grant(frozenset(hidden))


PUBLIC = Grant()


def release_tables(path: Path, manifest: Manifest, grant: Grant = PUBLIC) -> list[SqlTable]:
    """The tables of the release in ``path`` that ``grant`` may read, by name."""
    out: list[SqlTable] = []
    names: set[str] = set()
    for ds_id, entry in manifest.published.items():
        if entry.parquet is None or not _visible(ds_id, grant):
            continue
        for name in dict.fromkeys((ds_id.lower(), ds_id.lower().replace("-", "_"))):
            if name not in names:
                names.add(name)
                out.append(SqlTable(name, "jeu", ds_id, path / entry.parquet.path))
    groups = (("indicateurs", INDICATOR_TABLES), ("territoires", TERRITORY_TABLES))
    for kind, group in groups if grant.indicators else groups[1:]:
        for name, rel in group.items():
            if name not in names and (path / rel).is_file():
                names.add(name)
                out.append(SqlTable(name, kind, None, path / rel))
    return out


def _visible(dataset_id: str, grant: Grant) -> bool:
    """Whether a caller with ``grant`` may read the dataset."""
    return dataset_id not in grant.hidden


def visible_tables(
    store: ReleaseStore, default: tuple[Path, Manifest], grant: Grant = PUBLIC
) -> dict[str, Path]:
    """The allow-list of one SQL query: the tables of the ``default`` release by name, and
    those of every published release as ``<release id>.<name>`` (lower case)."""
    path, manifest = default
    tables = {t.name: t.path for t in release_tables(path, manifest, grant)}
    for info in store.list():
        try:
            other = store.manifest(info.id)
        except ArdoiseError:  # a broken old release is simply not offered
            continue
        for t in release_tables(info.path, other, grant):
            tables[f"{info.id.lower()}.{t.name}"] = t.path
    for t in release_tables(path, manifest, grant):
        tables.setdefault(f"{manifest.release_id.lower()}.{t.name}", t.path)
    return tables


def with_default(tables: dict[str, Path], release_id: str) -> dict[str, Path]:
    """The allow-list ``tables`` whose unqualified names are those of ``release_id``."""
    prefix = release_id.lower() + "."
    qualified = {k: v for k, v in tables.items() if "." in k}
    mine = {k[len(prefix) :]: v for k, v in qualified.items() if k.startswith(prefix)}
    if not mine:
        raise ReleaseNotFound(f"Release inconnue : {release_id[:80]}")
    return qualified | mine


def release_on(store: ReleaseStore, day: str) -> str:
    """The id of the release that was current on ``day`` (AAAA-MM-JJ): the last one
    created on or before that day."""
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        raise InvalidParameter(
            f"Date invalide : {day[:40]!r} (attendu : AAAA-MM-JJ, par exemple 2025-09-01)."
        ) from None
    found = [r for r in store.list() if r.created_at[:10] <= wanted.isoformat()]
    if not found:
        raise ReleaseNotFound(f"Aucune release n'était publiée le {wanted.isoformat()}.")
    return found[-1].id
