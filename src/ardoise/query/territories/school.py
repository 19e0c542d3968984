"""One school joined across every dataset with a ``_uai`` link: identity, location, and each
series that exists for it, with the coverage of its source; the national datasets that
should hold it (same kind of school) but have no row for it are listed, not hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ardoise.query.model import RecordsQuery
from ardoise.query.plan_cache import compile_cached
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.territories import levels
from ardoise.query.territories.context import ReleaseTerritories, territories_of
from ardoise.query.territories.detail import TerritoryRef, explore_url, parents
from ardoise.query.territories.schools import KINDS, School
from ardoise.urls import ROOT

# Numeric fields that are not measures of the school.
_NOT_MEASURES = frozenset(
    {"num_ligne", "latitude", "longitude", "coordonnee_x", "coordonnee_y", "epsg"}
)
_MEASURE_TYPES = ("int", "double")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    unit: str | None


@dataclass(frozen=True)
class Series:
    """The rows of one dataset for the school: school year and the dataset's measures."""

    dataset_id: str
    titre: str
    national: bool
    couverture: str  # the source's spatial coverage, as its descriptor states it
    annees_source: tuple[str, ...]  # school years present in the dataset
    annees: tuple[str, ...]  # school years with a row for this school
    annees_sans_ligne: tuple[str, ...]  # years of the dataset without a row for it
    champs: tuple[Field, ...]
    lignes: tuple[dict[str, Any], ...]  # {"annee_scolaire": …, field: value…, "etats"?: …}
    url: str  # the Explore query returning these rows


@dataclass(frozen=True)
class MissingSeries:
    dataset_id: str
    titre: str
    annees_source: tuple[str, ...]
    raison: str


@dataclass(frozen=True)
class Etablissement:
    uai: str
    nom: str | None
    nature: str | None
    type: str | None  # a key of schools.KINDS
    type_libelle: str | None
    secteur: str | None
    commune: TerritoryRef | None
    parents: tuple[TerritoryRef, ...]
    localisation: dict[str, float] | None  # {"lat": …, "lon": …}
    series: tuple[Series, ...]
    series_absentes: tuple[MissingSeries, ...]
    liens: dict[str, str]


@dataclass(frozen=True)
class _Rows:
    """The year, states and measures of a dataset's rows, in memory, indexed by UAI.

    DuckDB spends about 40 µs per column to plan a query, and the results of the lycées
    have 130 measures: a school's rows are taken from Arrow instead (about 0.1 ms).
    """

    table: pa.Table
    index: Mapping[str, list[int]]


def preload(state: ReleaseTerritories) -> None:
    """Load the rows of every dataset with a UAI link (a few MB for the whole mirror)."""
    for view in state.release.datasets.values():
        if state.has_links(view, "_uai"):
            _rows(state, view, _measures(view))


def _rows(state: ReleaseTerritories, view: DatasetView, measures: tuple[Field, ...]) -> _Rows:
    found = state.school_rows.get(view.id)
    if isinstance(found, _Rows):
        return found
    with state.lock:
        found = state.school_rows.get(view.id)
        if not isinstance(found, _Rows):
            names = ["_uai", "_annee_scolaire", "_etats", *(f.name for f in measures)]
            table = _read(state.release, view, names)
            index: dict[str, list[int]] = {}
            for i, uai in enumerate(table.column("_uai").to_pylist()):
                if uai is not None:
                    index.setdefault(uai, []).append(i)
            found = state.school_rows[view.id] = _Rows(table.drop_columns(["_uai"]), index)
        return found


def _read(release: ServedRelease, view: DatasetView, names: list[str]) -> pa.Table:
    """The columns ``names`` of the rows the reader may see (a grant's rows, issue #16)."""
    if view.row_filter is None:
        return pq.read_table(view.parquet, columns=names)
    compiled = compile_cached(
        RecordsQuery(),
        view.schema,
        export=True,
        extra_columns=tuple(n for n in names if n.startswith("_")),
        row_filter=view.row_filter,
    )
    batches = list(release.engine.stream_arrow(compiled))
    if not batches:
        return pq.read_table(view.parquet, columns=names).slice(0, 0)
    return pa.Table.from_batches(batches).select(names)


def etablissement(release: ServedRelease, uai: str) -> Etablissement:
    code = levels.uai(uai)
    state = territories_of(release)
    cached = state.school_cache.get(code)
    if isinstance(cached, Etablissement):
        return cached
    state.require("etablissement", code)
    found = _etablissement(state, code)
    state.school_cache.put(code, found)
    return found


def _etablissement(state: ReleaseTerritories, code: str) -> Etablissement:
    release = state.release
    school = state.schools.by_uai[code]
    up = parents(state, "etablissement", code)
    series = _series(
        state, [release.datasets[ds] for ds in school.datasets if ds in release.datasets], code
    )
    location = (
        {"lat": school.lat, "lon": school.lon}
        if school.lat is not None and school.lon is not None
        else None
    )
    return Etablissement(
        uai=code,
        nom=school.nom,
        nature=school.nature,
        type=school.kind,
        type_libelle=KINDS.get(school.kind or ""),
        secteur=school.secteur,
        commune=next((p for p in up if p.niveau == "commune"), None),
        parents=up,
        localisation=location,
        series=series,
        series_absentes=_missing(state, school),
        liens={
            "self": ROOT.school(code),
            "territoire": ROOT.territory("etablissement", code),
            "indicateurs": ROOT.territory_indicators("etablissement", code),
        },
    )


def _series(state: ReleaseTerritories, views: list[DatasetView], uai: str) -> tuple[Series, ...]:
    fields = [_measures(v) for v in views]
    lines = []
    for view, measures in zip(views, fields, strict=True):
        store = _rows(state, view, measures)
        found = store.table.take(store.index.get(uai, [])).to_pylist()
        lignes = []
        for row in sorted(found, key=lambda r: r["_annee_scolaire"] or ""):
            line: dict[str, Any] = {"annee_scolaire": row.pop("_annee_scolaire")}
            etats = row.pop("_etats")
            line.update(row)
            if etats:
                line["etats"] = orjson.loads(etats)
            lignes.append(line)
        lines.append(lignes)
    out = []
    for view, measures, lignes in zip(views, fields, lines, strict=True):
        years = tuple(sorted({str(x["annee_scolaire"]) for x in lignes if x["annee_scolaire"]}))
        source_years = _years(view)
        out.append(
            Series(
                dataset_id=view.id,
                titre=view.dataset.title,
                national=view.dataset.spatial_coverage.national,
                couverture=view.dataset.spatial_coverage.description,
                annees_source=source_years,
                annees=years,
                annees_sans_ligne=tuple(y for y in source_years if y not in years) if years else (),
                champs=measures,
                lignes=tuple(lignes),
                url=explore_url(view.id, "etablissement", uai),
            )
        )
    return tuple(out)


def _missing(state: ReleaseTerritories, school: School) -> tuple[MissingSeries, ...]:
    if school.kind is None:
        return ()
    label = KINDS[school.kind]
    out = []
    for ds, kinds in sorted(state.schools.expected_kinds.items()):
        view = state.release.datasets.get(ds)
        if view is None or ds in school.datasets or school.kind not in kinds:
            continue
        out.append(
            MissingSeries(
                ds,
                view.dataset.title,
                _years(view),
                f"Jeu national qui contient des établissements de type « {label} » : aucune ligne "
                "pour cet établissement (fermé, ouvert depuis, hors champ du producteur, ou "
                "donnée manquante).",
            )
        )
    return tuple(out)


def _measures(view: DatasetView) -> tuple[Field, ...]:
    year = view.dataset.school_year.field if view.dataset.school_year else None
    return tuple(
        Field(f.name, f.label, f.unit)
        for f in view.dataset.fields
        if f.type in _MEASURE_TYPES and f.name not in _NOT_MEASURES and f.name != year
    )


def _years(view: DatasetView) -> tuple[str, ...]:
    return tuple(sorted(view.entry.quality.years))
