"""Choropleths of an indicator: the values of one level (under a parent), their classes,
the contours they colour, overseas insets, and the chart around it all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from ardoise.dashboard import charts
from ardoise.dashboard.citation import DOWNLOADS
from ardoise.dashboard.contexts import Chart, GeoRef, Table
from ardoise.dashboard.figures import (
    LEVEL_LABELS,
    LEVEL_PLURALS,
    STATUS_LABELS,
    class_of,
    classes,
    unit_label,
    with_unit,
)
from ardoise.dashboard.pages import sources
from ardoise.query import indicators as q
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels
from ardoise.query.territories.context import territories_of
from ardoise.urls import ROOT

MAP_LEVELS = ("region", "academie", "departement", "commune")


def geo_ref(niveau: str, parent: tuple[str, str] | None) -> GeoRef:
    if parent is not None and parent[0] == "france":
        parent = None
    return GeoRef(niveau, parent, ROOT.geo(niveau, parent), levels.GEO_FILES[niveau])


def _drawn_codes(release: ServedRelease, niveau: str) -> frozenset[str]:
    """Codes of the territories that have a contour in the level's TopoJSON (once per
    release and level)."""
    return release.memo((_drawn_codes, niveau), lambda: _codes_in(T.geometry(release, niveau)))


def _codes_in(geometry: bytes) -> frozenset[str]:
    topology = orjson.loads(geometry)
    return frozenset(
        str(g.get("properties", {}).get("code"))
        for obj in topology.get("objects", {}).values()
        for g in obj.get("geometries", ())
    )


def overseas(
    release: ServedRelease, niveau: str, codes: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """(code, name) of the overseas territories among ``codes``, drawn as insets."""
    ref = territories_of(release).referential
    out = []
    for code in codes:
        far = False
        if niveau == "departement":
            d = ref.departements.get(code)
            far = code.startswith("97") or (d is not None and d.zone != "metro")
            name = d.nom if d else code
        elif niveau == "region":
            r = ref.regions.get(code)
            far = r is not None and r.zone != "metro"
            name = r.nom if r else code
        elif niveau == "academie":
            a = ref.academies.get(code)
            deps = a.departements if a else ()
            far = bool(deps) and all(
                d.startswith("97")
                or (ref.departements.get(d) is not None and ref.departements[d].zone != "metro")
                for d in deps
            )
            name = a.nom if a else code
        else:
            name = code
        if far and code in _drawn_codes(release, niveau):  # no contour, no inset
            out.append((code, name))
    return tuple(out)


def map_rows(
    info: q.IndicatorInfo, values: Sequence[q.IndicatorValue]
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """One row per territory (code, name, value, text, status, class) and the class labels."""
    d = info.definition
    shown = [v.valeur for v in values if v.statut == "ok" and v.valeur is not None]
    bounds, labels = classes(shown, d.decimals)
    rows = []
    for v in values:
        value = v.valeur if v.statut == "ok" else None
        rows.append(
            {
                "code": v.code,
                "nom": v.nom or v.code,
                "valeur": value,
                "texte": with_unit(value, d.decimals, d.unit)
                if value is not None
                else v.secret_libelle or STATUS_LABELS.get(v.statut, "sans valeur"),
                "statut": v.statut,
                "classe": class_of(value, bounds, labels),
            }
        )
    return rows, labels


def indicator_map(
    release: ServedRelease,
    result: q.IndicatorValues,
    *,
    path: str,
    query: str,
    where: str = "France",
    points: Sequence[dict[str, Any]] = (),
    chart_id: str = "carte",
) -> Chart:
    info = result.indicator
    d = info.definition
    rows, labels = map_rows(info, result.values)
    geo = geo_ref(result.niveau, result.parent)
    far = overseas(release, result.niveau, [r["code"] for r in rows]) if geo.parent is None else ()
    title = f"{d.title} par {LEVEL_LABELS[result.niveau]}, {result.annee}"
    subtitle = f"{where} ; en gris : sans valeur"
    spec = charts.choropleth(
        title,
        subtitle,
        geo,
        rows,
        labels,
        legend=unit_label(d.unit),
        overseas=far,
        points=points,
        value_title=f"{d.title}, {result.annee}",
    )
    missing = sum(1 for r in rows if r["valeur"] is None)
    table = Table(
        f"{d.title} par {LEVEL_LABELS[result.niveau]} ({result.annee})",
        ("code", "nom", "valeur", "texte", "classe"),
        ("Code", "Territoire", "Valeur", "Valeur affichée", "Classe de la carte"),
        tuple({k: r[k] for k in ("code", "nom", "valeur", "texte", "classe")} for r in rows),
    )
    n = len(rows)
    what = f"{n} {LEVEL_PLURALS[result.niveau]}" if n > 1 else f"{n} {LEVEL_LABELS[result.niveau]}"
    resume = (
        f"Carte ({where}, {what}), couleur selon « {d.title} » en {result.annee} ; "
        f"sans valeur, en gris : {missing}."
        + (f" Points rouges : {len(points)} établissements localisés." if points else "")
    )
    return Chart(
        chart_id,
        "choropleth",
        title,
        resume,
        sources(release, d.dataset_ids),
        release.id,
        release.created_at,
        table,
        spec,
        {fmt: ROOT.page_chart(path, chart_id, fmt, query) for fmt in DOWNLOADS},
        missing,
        geo,
    )
