"""Pupil counts from the registry, by school × level × sex and up the geographic hierarchy
(school → commune → département → académie), with statistical disclosure control.

:func:`linked_table` turns counts per (UAI, level, sex) into one linked table: every unit
at every geographic level has a cell per level present in it and per sex, plus the margins
(all levels, both sexes); relations tie each margin to its parts and each unit to its
children. :func:`statistics` protects that table (see :mod:`ardoise.disclosure`)
and returns publishable rows: a suppressed cell has no count, only its status.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast as as_type

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, Integer, cast, func, or_, select

from ardoise.disclosure import (
    STATUS_LABELS,
    LinkedTable,
    Relation,
    Rules,
    Status,
    protect,
)
from ardoise.errors import ArdoiseError
from ardoise.query.release import ServedRelease
from ardoise.query.territories.context import territories_of
from ardoise.referential.levels import ladder
from ardoise.scolarite.schema import eleves

LEVELS: tuple[str, ...] = ladder(last="academie")  # the school up to its académie
SEXES: tuple[str, ...] = ("F", "M")
ALL = "ensemble"
UNKNOWN = "inconnu"


@dataclass(frozen=True)
class Place:
    """Where a school is: its commune, département and académie codes."""

    commune: str
    departement: str
    academie: str


@dataclass(frozen=True)
class Count:
    uai: str
    niveau: str  # school level (MEF label or code)
    sexe: str  # "F" / "M"
    effectif: int


@dataclass(frozen=True)
class Cell:
    """One published cell. ``effectif`` is None when the cell is suppressed."""

    niveau_geo: str
    code: str
    niveau: str
    sexe: str
    effectif: int | None
    statut: Status

    @property
    def statut_libelle(self) -> str:
        return STATUS_LABELS[self.statut]


@dataclass(frozen=True)
class Statistics:
    cells: tuple[Cell, ...]
    rules: Rules
    synthetic: bool

    @property
    def suppressed(self) -> int:
        return sum(1 for c in self.cells if c.statut is not Status.PUBLISHED)


Key = tuple[str, str, str, str]  # (geographic level, code, school level, sex)


def linked_table(counts: Iterable[Count], places: Mapping[str, Place]) -> LinkedTable:
    """The linked table of ``counts``; a school absent from ``places`` goes under "inconnu"."""
    by_school: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        if c.effectif > 0:
            by_school[c.uai][(c.niveau, c.sexe)] += c.effectif
    chain: dict[str, tuple[str, ...]] = {}
    parent_of: dict[tuple[int, str], str] = {}
    for uai in sorted(by_school):
        place = places.get(uai)
        chain[uai] = (
            uai,
            *(
                (place.commune, place.departement, place.academie)
                if place
                else (UNKNOWN, UNKNOWN, UNKNOWN)
            ),
        )
        for depth in range(1, len(LEVELS) - 1):
            unit, up = (depth, chain[uai][depth]), chain[uai][depth + 1]
            if parent_of.setdefault(unit, up) != up:
                raise ArdoiseError(
                    f"Hiérarchie incohérente : {LEVELS[depth]} {unit[1]} est rattaché(e) à "
                    f"{LEVELS[depth + 1]} {parent_of[unit]} et {up} (établissement {uai})."
                )
    # Unit → its children at the level below, and unit → its levels (present in it).
    children: dict[tuple[int, str], set[str]] = defaultdict(set)
    levels: dict[tuple[int, str], set[str]] = defaultdict(set)
    values: dict[Key, int] = defaultdict(int)
    for uai, cells in by_school.items():
        codes = chain[uai]
        for depth, code in enumerate(codes):
            if depth:
                children[(depth, code)].add(codes[depth - 1])
            for (niveau, sexe), n in cells.items():
                levels[(depth, code)].add(niveau)
                for lv in (niveau, ALL):
                    for sx in (sexe, ALL):
                        values[(LEVELS[depth], code, lv, sx)] += n
    keys: list[Key] = []
    index: dict[Key, int] = {}
    for (depth, code), present in sorted(levels.items()):
        for lv in (*sorted(present), ALL):
            for sx in (*SEXES, ALL):
                key = (LEVELS[depth], code, lv, sx)
                index[key] = len(keys)
                keys.append(key)
    relations: list[Relation] = []
    for (depth, code), present in sorted(levels.items()):
        geo = LEVELS[depth]
        for lv in (*sorted(present), ALL):
            relations.append(
                Relation(
                    index[(geo, code, lv, ALL)],
                    tuple(index[(geo, code, lv, s)] for s in SEXES),
                    attribute=True,
                )
            )
        for sx in (*SEXES, ALL):
            relations.append(
                Relation(
                    index[(geo, code, ALL, sx)],
                    tuple(index[(geo, code, lv, sx)] for lv in sorted(present)),
                )
            )
        if depth == 0:
            continue
        below = LEVELS[depth - 1]
        kids = sorted(children[(depth, code)])
        for lv in (*sorted(present), ALL):
            for sx in (*SEXES, ALL):
                parts = tuple(
                    index[k] for k in ((below, kid, lv, sx) for kid in kids) if k in index
                )
                relations.append(Relation(index[(geo, code, lv, sx)], parts))
    return LinkedTable(tuple(keys), tuple(values.get(k, 0) for k in keys), tuple(relations))


def statistics(
    counts: Iterable[Count],
    places: Mapping[str, Place],
    rules: Rules | None = None,
    synthetic: bool = False,
) -> Statistics:
    """Protected counts, one :class:`Cell` per cell of the linked table."""
    rules = rules or Rules()
    table = linked_table(counts, places)
    status = protect(table, rules)
    cells = []
    for key, value, st in zip(table.keys, table.values, status, strict=True):
        geo, code, niveau, sexe = as_type(Key, key)
        cells.append(Cell(geo, code, niveau, sexe, value if st is Status.PUBLISHED else None, st))
    return Statistics(tuple(cells), rules, synthetic)


def registry_counts(engine: Engine, annee: str, on: date) -> tuple[list[Count], bool]:
    """Pupils enrolled on ``on`` (no exit date, or a later one) in school year ``annee``,
    per school, level (MEF label, else code) and sex; and whether any row is synthetic."""
    level = func.coalesce(eleves.c.libelle_mef, eleves.c.code_mef, "non renseigné")
    query = (
        select(
            eleves.c.uai,
            level,
            eleves.c.sexe,
            func.count(),
            func.max(cast(eleves.c.synthetique, Integer)),
        )
        .where(
            eleves.c.annee_scolaire == annee,
            or_(eleves.c.date_sortie.is_(None), eleves.c.date_sortie > on),
        )
        .group_by(eleves.c.uai, level, eleves.c.sexe)
    )
    counts: list[Count] = []
    synthetic = False
    with engine.connect() as conn:
        for uai, niveau, sexe, n, synth in conn.execute(query):
            counts.append(Count(str(uai), str(niveau), str(sexe), int(n)))
            synthetic = synthetic or bool(synth)
    return counts, synthetic


def release_places(release: ServedRelease | None) -> dict[str, Place]:
    """Commune, département and académie of every school the release links fully and
    consistently (a commune in one département, a département in one académie)."""
    if release is None:
        return {}
    places: dict[str, Place] = {}
    up: dict[tuple[int, str], str] = {}
    for uai, school in territories_of(release).schools.by_uai.items():
        if not (school.commune and school.departement and school.academie):
            continue
        links = ((1, school.commune, school.departement), (2, school.departement, school.academie))
        if any(up.setdefault((d, code), parent) != parent for d, code, parent in links):
            continue  # contradicts schools seen before: counted under "inconnu"
        places[uai] = Place(school.commune, school.departement, school.academie)
    return places


COLUMNS: tuple[str, ...] = (
    "niveau_geographique",
    "code",
    "niveau",
    "sexe",
    "effectif",
    "statut",
    "statut_libelle",
    "donnees_synthetiques",
)


def _rows(stats: Statistics) -> Iterable[tuple[object, ...]]:
    for c in stats.cells:
        yield (
            c.niveau_geo,
            c.code,
            c.niveau,
            c.sexe,
            c.effectif,
            c.statut.value,
            c.statut_libelle,
            stats.synthetic,
        )


def write_csv(stats: Statistics, path: Path) -> None:
    """CSV (``;``, UTF-8): a suppressed count is an empty field, never 0."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(COLUMNS)
        for row in _rows(stats):
            out.writerow(
                [
                    "" if v is None else ("oui" if v is True else "non" if v is False else v)
                    for v in row
                ]
            )


def write_parquet(stats: Statistics, path: Path) -> None:
    """Parquet: a suppressed count is null, with its status; rules in the file metadata."""
    cols = list(zip(*_rows(stats), strict=True)) or [() for _ in COLUMNS]
    schema = pa.schema(
        [
            ("niveau_geographique", pa.string()),
            ("code", pa.string()),
            ("niveau", pa.string()),
            ("sexe", pa.string()),
            ("effectif", pa.int64()),
            ("statut", pa.string()),
            ("statut_libelle", pa.string()),
            ("donnees_synthetiques", pa.bool_()),
        ]
    )
    meta = {
        "seuil": str(stats.rules.threshold),
        "petit_groupe": str(stats.rules.small_group),
        "synthetique": "oui" if stats.synthetic else "non",
    }
    table = pa.Table.from_arrays(
        [pa.array(list(c), type=f.type) for c, f in zip(cols, schema, strict=True)],
        schema=schema.with_metadata(meta),
    )
    pq.write_table(table, path)
