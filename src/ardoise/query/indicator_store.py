"""What a release published about its indicators, and the Explore API query that
reproduces each value.

The files come from ``indicators/`` of the release (``definitions.json``,
``couverture.json``, ``filtres.parquet``) and the territory names from ``referential/``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pyarrow.parquet as pq

from ardoise.indicators.aggregations import AGGREGATIONS, odsql_filters
from ardoise.indicators.loader import definition_from_json
from ardoise.indicators.model import Definition
from ardoise.odsql.literals import quote_field as odsql_field
from ardoise.odsql.literals import quote_string as odsql_text
from ardoise.referential.levels import FRANCE
from ardoise.urls import ROOT

_NAME_FILES = {
    "region": "regions",
    "departement": "departements",
    "academie": "academies",
    "commune": "communes",
}


@dataclass(frozen=True)
class Filter:
    champ: str | None  # None: no column selects exactly these rows
    valeurs: tuple[str, ...]
    numerique: bool


@dataclass(frozen=True)
class ExploreQuery:
    """The relative URL of the records query reproducing a value, and how to read it."""

    url: str
    lecture: str | None


@dataclass(frozen=True)
class IndicatorStore:
    release_id: str
    definitions: Mapping[str, Definition]  # by id, sorted
    coverage: Mapping[str, Mapping[str, Any]]  # by indicator id: its couverture.json entry
    filters: Mapping[tuple[str, str, str, str], Filter]  # (jeu, mode, niveau, code)
    names: Mapping[tuple[str, str], str]  # (niveau, code) → name
    parents: Mapping[tuple[str, str], tuple[tuple[str, str], ...]]  # referential ancestors

    def years(self, indicator: str) -> tuple[str, ...]:
        return tuple(self.coverage.get(indicator, {}).get("annees", ()))

    def name(self, niveau: str, code: str) -> str | None:
        if niveau == "france":
            return "France"
        return self.names.get((niveau, code))

    def ancestors(self, niveau: str, code: str) -> tuple[tuple[str, str], ...] | None:
        """Ancestors of a territory above the school, nearest first, France last."""
        if niveau == "france":
            return ()
        found = self.parents.get((niveau, code))
        return None if found is None else (*found, ("france", FRANCE))

    def explore(
        self, d: Definition, dataset: str, niveau: str, code: str, annee: str
    ) -> ExploreQuery | None:
        """The Explore records query giving this value from ``dataset``; None if impossible.

        The query string is assembled from fragments encoded once (a map or a territory
        page carries hundreds of these URLs)."""
        year = self.filters.get((dataset, "lien", "annee", annee))
        if year is None or year.champ is None:
            return None
        reference = d.formula.aggregation == "reference"
        where = [_condition(year)]
        extra = ""
        if niveau != "france":
            mode = "publie" if reference else "lien"
            found = self.filters.get((dataset, mode, niveau, code)) or _default(
                self.filters.get((dataset, mode, niveau, "*")), code
            )
            if found is None or found.champ is None:
                extra = "&territoire=" + _encoded(f"{niveau}:{code}")
            else:
                where.append(_condition(found))
        head, tail, reading = _fragments(d, niveau if reference else "")
        where_text = _encoded(" and ").join([_encoded(w) for w in where] + tail)
        return ExploreQuery(
            ROOT.records(
                dataset,
                f"{head}&where={where_text}{_group_by(d, niveau if reference else '')}{extra}",
            ),
            reading,
        )


@lru_cache(maxsize=65_536)
def _encoded(text: str) -> str:
    return quote(text, safe="")


@lru_cache(maxsize=1024)
def _fragments(d: Definition, level: str) -> tuple[str, list[str], str | None]:
    """(encoded select, encoded conditions after the territory one, reading) of ``d``."""
    selected = AGGREGATIONS[d.formula.aggregation].explore(d.formula)
    select = selected.select
    tail = odsql_filters(d.formula.filters)
    if level:  # reference: the field of the level
        field = odsql_field(dict(d.formula.references)[level])
        select = select.replace("{field}", field)
        tail.append(f"{field} is not null")
    else:
        tail += [f"{odsql_field(f)} is not null" for f in d.formula.fields_required()]
        if d.formula.fields_any():
            given = (f"{odsql_field(f)} is not null" for f in d.formula.fields_any())
            tail.append(f"({' or '.join(given)})")
    return (
        urlencode([("select", select)], quote_via=quote, safe=""),
        [_encoded(t) for t in tail],
        selected.reading,
    )


@lru_cache(maxsize=1024)
def _group_by(d: Definition, level: str) -> str:
    group_by = AGGREGATIONS[d.formula.aggregation].explore(d.formula).group_by
    if not group_by:
        return ""
    if level:
        group_by = group_by.replace("{field}", odsql_field(dict(d.formula.references)[level]))
    return "&group_by=" + _encoded(group_by)


def _default(found: Filter | None, code: str) -> Filter | None:
    if found is None or found.champ is None:
        return None
    return Filter(found.champ, (code,), found.numerique)


def _condition(f: Filter) -> str:
    values = [v if f.numerique else odsql_text(v) for v in f.valeurs]
    name = odsql_field(f.champ or "")
    if len(values) == 1:
        return f"{name} = {values[0]}"
    return f"{name} in ({', '.join(values)})"


def store_for(release_path: Path, release_id: str) -> IndicatorStore:
    """What the release in ``release_path`` published about its indicators (read now; the
    query layer keeps it in the release's memo)."""
    folder = release_path / "indicators"
    defs: dict[str, Definition] = {}
    coverage: dict[str, Mapping[str, Any]] = {}
    filters: dict[tuple[str, str, str, str], Filter] = {}
    if (folder / "definitions.json").is_file():
        for raw in json.loads((folder / "definitions.json").read_text("utf-8")):
            d = definition_from_json(raw)
            defs[d.id] = d
    if (folder / "couverture.json").is_file():
        report = json.loads((folder / "couverture.json").read_text("utf-8"))
        coverage = {entry["indicateur"]: entry for entry in report.get("indicateurs", [])}
    if (folder / "filtres.parquet").is_file():
        table = pq.read_table(folder / "filtres.parquet").to_pydict()
        for jeu, mode, niveau, code, champ, valeurs, numerique in zip(
            table["jeu"],
            table["mode"],
            table["niveau"],
            table["code"],
            table["champ"],
            table["valeurs"],
            table["numerique"],
            strict=True,
        ):
            filters[(jeu, mode, niveau, code)] = Filter(
                champ, tuple(valeurs or ()), bool(numerique)
            )
    referential = release_path / "referential"
    return IndicatorStore(
        release_id,
        dict(sorted(defs.items())),
        coverage,
        filters,
        _names(referential),
        _parents(referential),
    )


def _names(folder: Path) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {("france", FRANCE): "France"}
    for niveau, stem in _NAME_FILES.items():
        path = folder / f"{stem}.parquet"
        if not path.is_file():
            continue
        columns = [c for c in ("code", "nom", "type") if c in pq.read_schema(path).names]
        table = pq.read_table(path, columns=columns).to_pydict()
        types = table.get("type") or [None] * len(table["code"])
        for code, nom, kind in zip(table["code"], table["nom"], types, strict=True):
            if kind in (None, "commune-actuelle") or (niveau, code) not in names:
                names[(niveau, code)] = nom
    return names


def _parents(folder: Path) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """(niveau, code) → ancestors up to the région, from the referential."""

    def read(stem: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        path = folder / f"{stem}.parquet"
        if not path.is_file():
            return []
        names = set(pq.read_schema(path).names)
        rows: list[dict[str, Any]] = pq.read_table(
            path, columns=[c for c in columns if c in names]
        ).to_pylist()
        return rows

    out: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    for r in read("regions", ("code",)):
        out[("region", r["code"])] = ()
    for a in read("academies", ("code", "region", "ancienne")):
        if not a.get("ancienne"):
            out[("academie", a["code"])] = (("region", a["region"]),) if a.get("region") else ()
    deps = {}
    for d in read("departements", ("code", "academie", "region")):
        chain = tuple((lv, d[lv]) for lv in ("academie", "region") if d.get(lv))
        deps[d["code"]] = chain
        out[("departement", d["code"])] = chain
    for c in read("communes", ("code", "type", "departement")):
        if c.get("type", "commune-actuelle") == "commune-actuelle" and c.get("departement"):
            out[("commune", c["code"])] = (
                ("departement", c["departement"]),
                *deps.get(c["departement"], ()),
            )
    return out
