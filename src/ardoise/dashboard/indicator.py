"""``/indicateurs/{id}``: definition, method, formula, sources and caveats; a map and a
distribution for the chosen level, year (and parent territory); the table of values."""

from __future__ import annotations

from collections.abc import Mapping

from ardoise.dashboard import charts
from ardoise.dashboard.contexts import Chart, Filter, IndicatorPage, Link, Option, Table
from ardoise.dashboard.figures import (
    LEVEL_LABELS,
    LEVEL_PLURALS,
    STATUS_LABELS,
    chart_url,
    unit_label,
)
from ardoise.dashboard.maps import MAP_LEVELS, indicator_map, map_rows
from ardoise.dashboard.pages import page, sources, year_options
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels

PAGE_LEVELS = ("region", "academie", "departement", "commune", "etablissement")


def indicator_page(
    release: ServedRelease, indicator_id: str, params: Mapping[str, str], path: str, query: str
) -> IndicatorPage:
    info = q.indicator(release, indicator_id)
    d = info.definition
    offered = [lv for lv in PAGE_LEVELS if lv in d.levels]
    niveau = params.get("niveau") or (
        "departement" if "departement" in offered else (offered or ["france"])[0]
    )
    parent = levels.parse(params["parent"], parameter="parent") if params.get("parent") else None
    filtres = [
        Filter(
            "niveau",
            "Niveau",
            tuple(Option(lv, LEVEL_PLURALS[lv].capitalize(), lv == niveau) for lv in offered),
        )
    ]
    chart_list: list[Chart] = []
    table = Table("Valeurs", (), (), ())
    if info.annees:
        result = q.indicator_values(release, d.id, niveau, params.get("annee") or None, parent)
        filtres.append(Filter("annee", "Année scolaire", year_options(info.annees, result.annee)))
        where = "France"
        if result.parent is not None and result.parent[0] != "france":
            name = q.territory_name(release, *result.parent) or result.parent[1]
            where = f"{LEVEL_LABELS[result.parent[0]].capitalize()} {name}"
        if result.niveau in MAP_LEVELS and (result.niveau != "commune" or parent is not None):
            chart_list.append(indicator_map(release, result, path=path, query=query, where=where))
        rows, _ = map_rows(info, result.values)
        dist_rows = [{"code": r["code"], "nom": r["nom"], "valeur": r["valeur"]} for r in rows]
        title = f"Répartition des {LEVEL_PLURALS[result.niveau]}, {result.annee}"
        with_value = sum(1 for r in dist_rows if r["valeur"] is not None)
        chart_list.append(
            Chart(
                "distribution",
                "distribution",
                title,
                f"Histogramme de « {d.title} » pour {with_value} {LEVEL_PLURALS[result.niveau]} "
                f"avec une valeur ({where}, {result.annee}) ; "
                f"{len(dist_rows) - with_value} sans valeur, non dessinés.",
                sources(release, d.dataset_ids),
                release.id,
                release.created_at,
                Table(
                    title,
                    ("code", "nom", "valeur"),
                    ("Code", "Territoire", "Valeur"),
                    tuple(dist_rows),
                ),
                charts.distribution(
                    title, f"{d.title} ; {where}", dist_rows, unit=unit_label(d.unit)
                ),
                {f: chart_url(path, "distribution", f, query) for f in ("csv", "svg", "png")},
                len(dist_rows) - with_value,
            )
        )
        table = Table(
            f"{d.title} par {LEVEL_LABELS[result.niveau]} ({result.annee}, {where})",
            ("code", "nom", "texte", "statut", "base", "rang"),
            ("Code", "Territoire", "Valeur", "Statut", "Base", "Rang"),
            tuple(
                {
                    "code": v.code,
                    "nom": v.nom or v.code,
                    "texte": r["texte"],
                    "statut": STATUS_LABELS.get(v.statut, v.statut),
                    "base": v.base,
                    "rang": v.rang,
                }
                for v, r in zip(result.values, rows, strict=True)
            ),
        )
    return IndicatorPage(
        page(
            release, d.title, d.short_description, path, query, (Link("Indicateurs", "/#themes"),)
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
        tuple(chart_list),
        table,
    )
