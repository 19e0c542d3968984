"""``/indicateurs/{id}``: definition, method, formula, sources and caveats; a map and a
distribution for the chosen level, year and territory; the table of values.

Communes and schools are shown within one académie at a time (France has 35,000 communes
and 60,000 schools: a page for all of them would weigh megabytes); the distribution is
binned on the server, so its table and CSV are exactly the bars drawn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from ardoise.dashboard import charts
from ardoise.dashboard.citation import DOWNLOADS
from ardoise.dashboard.contexts import Chart, Filter, IndicatorPage, Link, Option, Table
from ardoise.dashboard.figures import (
    LEVEL_LABELS,
    LEVEL_PLURALS,
    STATUS_LABELS,
    bins,
    unit_label,
)
from ardoise.dashboard.maps import MAP_LEVELS, indicator_map, map_rows
from ardoise.dashboard.pages import page, sources, year_options
from ardoise.errors import NotFound
from ardoise.query import indicators as q
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels
from ardoise.query.territories.context import elided, territories_of
from ardoise.urls import ROOT

PAGE_LEVELS = ("region", "academie", "departement", "commune", "etablissement")
LOCAL_LEVELS = ("commune", "etablissement")  # shown within one académie at a time
MAX_TABLE_ROWS = 300


def _first_with_values(
    release: ServedRelease, info: q.IndicatorInfo, niveau: str, academies: list[str]
) -> tuple[str, str]:
    """The first académie where the indicator has a value at ``niveau`` in its latest year
    (an indicator of a few lycées would otherwise open on an empty académie)."""
    if info.annees:
        for code in academies:
            found = q.indicator_values(
                release, info.definition.id, niveau, None, ("academie", code)
            )
            if any(v.statut != "absent" for v in found.values):
                return ("academie", code)
    return ("academie", academies[0])


def indicator_page(
    release: ServedRelease, indicator_id: str, params: Mapping[str, str], path: str, query: str
) -> IndicatorPage:
    info = q.indicator(release, indicator_id)
    d = info.definition
    offered = [lv for lv in PAGE_LEVELS if lv in d.levels]
    niveau = params.get("niveau") or (
        "departement" if "departement" in offered else (offered or ["france"])[0]
    )
    niveau = levels.level(niveau)
    parent = levels.parse(params["parent"], parameter="parent") if params.get("parent") else None
    academies = _academies(release)
    if niveau in LOCAL_LEVELS and (parent is None or parent[0] == "france") and academies:
        parent = _first_with_values(release, info, niveau, [c for c, _ in academies])
    filtres = _filters(offered, niveau, parent, academies)
    values = _Values((), Table("Valeurs", (), (), ()), 0, ROOT.indicator_values(d.id))
    if info.annees:
        result = q.indicator_values(release, d.id, niveau, params.get("annee") or None, parent)
        filtres.append(Filter("annee", "Année scolaire", year_options(info.annees, result.annee)))
        values = _values(release, info, result, parent, path, query)
    return IndicatorPage(
        page(
            release,
            d.title,
            d.short_description,
            path,
            query,
            (Link("Indicateurs", ROOT.indicators_page()),),
        ),
        d.id,
        d.title,
        d.description,
        d.methodology,
        d.formula.text,
        d.unit,
        d.caveats,
        sources(release, d.dataset_ids),
        tuple(filtres),
        values.charts,
        values.table,
        values.total,
        values.full,
        q.how_to_read(info),
    )


def _filters(
    offered: Sequence[str],
    niveau: str,
    parent: tuple[str, str] | None,
    academies: Sequence[tuple[str, str]],
) -> list[Filter]:
    """The level and territory selects (communes and schools: one académie at a time)."""
    return [
        Filter(
            "niveau",
            "Niveau",
            tuple(Option(lv, LEVEL_PLURALS[lv].capitalize(), lv == niveau) for lv in offered),
        ),
        Filter(
            "parent",
            "Territoire",
            (
                *(() if niveau in LOCAL_LEVELS else (Option("", "France", parent is None),)),
                *(
                    Option(f"academie:{c}", elided("Académie de", n), parent == ("academie", c))
                    for c, n in academies
                ),
            ),
        ),
    ]


@dataclass(frozen=True)
class _Values:
    """What the page shows of one level and year: charts, table, count, API URL."""

    charts: tuple[Chart, ...]
    table: Table
    total: int
    full: str  # the indicator API's URL giving every value shown


def _values(
    release: ServedRelease,
    info: q.IndicatorInfo,
    result: q.IndicatorValues,
    parent: tuple[str, str] | None,
    path: str,
    query: str,
) -> _Values:
    d = info.definition
    chart_list: list[Chart] = []
    where = "France"
    if result.parent is not None and result.parent[0] != "france":
        name = q.territory_name(release, *result.parent) or result.parent[1]
        where = f"{LEVEL_LABELS[result.parent[0]].capitalize()} {name}"
    if result.niveau in MAP_LEVELS and (result.niveau != "commune" or parent is not None):
        chart_list.append(indicator_map(release, result, path=path, query=query, where=where))
    rows, _ = map_rows(info, result.values)
    shown = [r["valeur"] for r in rows if r["valeur"] is not None]
    chart_list.append(_distribution(release, info, result, shown, len(rows), where, path, query))
    total = len(rows)
    full = ROOT.indicator_values(
        d.id,
        urlencode(
            {
                "niveau": result.niveau,
                "annee": result.annee,
                **({"parent": ":".join(result.parent)} if result.parent else {}),
            }
        ),
    )
    kept = tuple(zip(result.values, rows, strict=True))[:MAX_TABLE_ROWS]
    scopes: dict[tuple[str, str], str] = {}
    named = _school_names(release) if result.niveau == "etablissement" else {}
    caption = f"{d.title} par {LEVEL_LABELS[result.niveau]} ({result.annee}, {where})"
    if total > len(kept):
        caption += f" : les {len(kept)} premiers sur {total}, par code"
    table = Table(
        caption,
        ("code", "nom", "texte", "statut", "base", "rang"),
        ("Code", "Territoire", "Valeur", "Statut", "Base", "Rang (1 : valeur la plus haute)"),
        tuple(
            {
                "code": v.code,
                "nom": v.nom or named.get(v.code) or v.code,
                "texte": r["texte"],
                "statut": v.secret_libelle or STATUS_LABELS.get(v.statut, v.statut),
                "base": v.base,
                "rang": rank_text(release, v, scopes),
            }
            for v, r in kept
        ),
    )
    return _Values(tuple(chart_list), table, total, full)


def _school_names(release: ServedRelease) -> dict[str, str]:
    """UAI → name, for indicator values that carry no name of their own (once per release)."""

    def build() -> dict[str, str]:
        return {u: s.nom for u, s in territories_of(release).schools.by_uai.items() if s.nom}

    names: dict[str, str] = release.memo(_school_names, build)
    return names


def rank_text(
    release: ServedRelease, v: q.IndicatorValue, scopes: dict[tuple[str, str], str]
) -> str | None:
    """A rank with its scope: « 3 sur 12 (Académie de Lyon) », « 5 sur 101 (France) »."""
    if v.rang is None:
        return None
    if v.parent is None or v.parent[0] == "france":
        scope = "France"
    else:
        if v.parent not in scopes:
            try:
                scopes[v.parent] = T.territory(release, *v.parent).libelle
            except NotFound:
                scopes[v.parent] = v.parent[1]
        scope = scopes[v.parent]
    return f"{v.rang} sur {v.rang_sur} ({scope})" if v.rang_sur else f"{v.rang} ({scope})"


def _academies(release: ServedRelease) -> list[tuple[str, str]]:
    ref = territories_of(release).referential
    found = [(a.code, a.nom) for a in ref.academies.values() if not a.ancienne]
    return sorted(found, key=lambda a: a[1])


def _distribution(
    release: ServedRelease,
    info: q.IndicatorInfo,
    result: q.IndicatorValues,
    shown: Sequence[float],
    total: int,
    where: str,
    path: str,
    query: str,
) -> Chart:
    d = info.definition
    rows = bins(shown, d.decimals)
    title = f"Répartition des {LEVEL_PLURALS[result.niveau]}, {result.annee}"
    return Chart(
        "distribution",
        "distribution",
        title,
        f"Histogramme de « {d.title} » pour {len(shown)} {LEVEL_PLURALS[result.niveau]} "
        f"avec une valeur ({where}, {result.annee}) ; {total - len(shown)} sans valeur, "
        "non comptés.",
        sources(release, d.dataset_ids),
        release.id,
        release.created_at,
        Table(
            title,
            ("de", "a", "nombre", "libelle"),
            ("De", "À moins de", "Nombre", "Classe"),
            tuple(rows),
        ),
        charts.distribution(
            title,
            f"{d.title} ; {where}",
            rows,
            unit=unit_label(d.unit),
            count_title=f"Nombre de {LEVEL_PLURALS[result.niveau]}",
        ),
        {f: ROOT.page_chart(path, "distribution", f, query) for f in DOWNLOADS},
        total - len(shown),
    )
