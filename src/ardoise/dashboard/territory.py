"""``/territoires/{niveau}/{code}``: a territory beside its parents and France, its series,
the map of its children coloured by the chosen indicator, its schools and its datasets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ardoise.dashboard import charts
from ardoise.dashboard.absence import absence, drawable
from ardoise.dashboard.citation import DOWNLOADS
from ardoise.dashboard.contexts import (
    Chart,
    Comparison,
    Filter,
    Link,
    Table,
    TerritoryPage,
)
from ardoise.dashboard.figures import (
    LEVEL_LABELS,
    figure,
    unit_label,
)
from ardoise.dashboard.maps import MAP_LEVELS, indicator_map
from ardoise.dashboard.pages import (
    PREFERRED,
    breadcrumb,
    indicator_options,
    page,
    parent_links,
    sources,
    year_options,
)
from ardoise.dashboard.school_list import school_list
from ardoise.errors import NotFound
from ardoise.french import plural
from ardoise.lru import LRU
from ardoise.query import indicators as q
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.query.territories.context import territories_of
from ardoise.query.territories.schools import School
from ardoise.urls import ROOT

CHILD_MAP = {
    "france": "departement",
    "region": "departement",
    "academie": "departement",
    "departement": "commune",
}
SCHOOL_POINTS = ("departement", "commune")  # levels whose map shows the schools
# A territory's schools: lycées and collèges first, the écoles after, by name within a kind.
SCHOOL_ORDER = {kind: n for n, kind in enumerate(("lycee", "lycee_pro", "college", "erea"))}
MAX_CHILDREN = 120


def schools_in(release: ServedRelease, niveau: str, code: str) -> list[School]:
    """The schools linked to a territory (index built once per release)."""
    return release.memo(schools_in, lambda: _school_index(release)).get((niveau, code), [])


def _school_index(release: ServedRelease) -> dict[tuple[str, str], list[School]]:
    """Schools by territory, lycées and collèges first (then by name); a commune holds the
    schools of its arrondissements and communes déléguées (Lyon those of Lyon 1er…)."""
    state = territories_of(release)
    communes = state.referential.communes
    index: dict[tuple[str, str], list[School]] = {}
    for s in state.schools.by_uai.values():
        linked = communes.get(s.commune or "")
        # a school of Lyon 1er is a school of Lyon too: an arrondissement's commune holds it
        parent = linked.commune_parente if linked and linked.type != "commune-actuelle" else None
        for lv, c in (
            ("commune", s.commune),
            ("commune", parent if parent != s.commune else None),
            ("departement", s.departement),
            ("academie", s.academie),
            ("region", s.region),
        ):
            if c:
                index.setdefault((lv, c), []).append(s)
    for group in index.values():
        group.sort(key=school_rank)
    return index


def school_rank(s: School) -> tuple[int, str, str]:
    """Lycées, lycées pro, collèges, EREA, then the others; by name within a kind."""
    return (SCHOOL_ORDER.get(s.kind or "", len(SCHOOL_ORDER)), s.nom or "", s.uai)


def series_rows(
    info: q.IndicatorInfo, named: Sequence[tuple[str, Sequence[q.IndicatorValue]]]
) -> list[dict[str, Any]]:
    rows = []
    for name, serie in named:
        for v in serie:
            f = figure(info, v)
            rows.append({"serie": name, "annee": v.annee, "valeur": f.valeur, "texte": f.texte})
    return rows


def overlapping(named: Sequence[tuple[str, Sequence[q.IndicatorValue]]]) -> str:
    """Series drawn on top of each other (same values every year), said in words: « Rennes et
    Bretagne ont les mêmes valeurs (lignes superposées) » ("" when none)."""
    groups: dict[tuple[tuple[str, float | None], ...], list[str]] = {}
    for name, serie in named:
        key = tuple((v.annee, None if v.valeur is None else round(v.valeur, 9)) for v in serie)
        if any(value is not None for _, value in key):
            groups.setdefault(key, []).append(name)
    said = [
        f"{', '.join(names[:-1])} et {names[-1]} ont les mêmes valeurs (lignes superposées)"
        for names in groups.values()
        if len(names) > 1
    ]
    return " ; ".join(said)


def series_chart(
    release: ServedRelease,
    info: q.IndicatorInfo,
    named: Sequence[tuple[str, Sequence[q.IndicatorValue]]],
    *,
    path: str,
    query: str,
) -> Chart:
    d = info.definition
    rows = series_rows(info, named)
    title = f"{d.title} au fil des années"
    same = overlapping(named)
    subtitle = "Valeurs manquantes : interruption de la ligne" + (f" ; {same}" if same else "")
    spec = charts.series(title, subtitle, rows, unit=unit_label(d.unit))
    table = Table(
        title,
        ("serie", "annee", "valeur", "texte"),
        ("Territoire", "Année scolaire", "Valeur", "Valeur affichée"),
        tuple(rows),
    )
    missing = sum(1 for r in rows if r["valeur"] is None)
    return Chart(
        "evolution",
        "series",
        title,
        f"Évolution de « {d.title} » pour {', '.join(n for n, _ in named)} ; "
        f"{plural(missing, 'valeur manquante')}."
        + (f" {same[0].upper()}{same[1:]}." if same else ""),
        sources(release, d.dataset_ids),
        release.id,
        release.created_at,
        table,
        spec,
        {f: ROOT.page_chart(path, "evolution", f, query) for f in DOWNLOADS},
        missing,
    )


def comparison_chart(
    release: ServedRelease, comp: Comparison, info: q.IndicatorInfo, *, path: str, query: str
) -> Chart:
    d = info.definition
    rows = [
        {"nom": n, "valeur": f.valeur, "texte": f.texte}
        for n, f in zip(comp.noms, comp.valeurs, strict=True)
    ]
    title = f"{d.title} : comparaison, {comp.annee}"
    spec = charts.comparison(
        title, "Le territoire, ses territoires parents et la France", rows, unit=unit_label(d.unit)
    )
    table = Table(
        title, ("nom", "valeur", "texte"), ("Territoire", "Valeur", "Valeur affichée"), tuple(rows)
    )
    missing = sum(1 for r in rows if r["valeur"] is None)
    return Chart(
        "comparaison",
        "comparison",
        title,
        f"« {d.title} » en {comp.annee} : "
        + " ; ".join(f"{r['nom']} {r['texte']}" for r in rows)
        + ".",
        sources(release, d.dataset_ids),
        release.id,
        release.created_at,
        table,
        spec,
        {f: ROOT.page_chart(path, "comparaison", f, query) for f in DOWNLOADS},
        missing,
    )


def comparisons(result: q.TerritoryIndicators | None, nom: str) -> tuple[Comparison, ...]:
    if result is None:
        return ()
    return tuple(comparisons_of(item, nom) for item in result.items)


def comparisons_of(item: q.TerritoryIndicator, nom: str) -> Comparison:
    """One indicator of a territory beside its parents (the key figures' row)."""
    d = item.indicator.definition
    vals = (
        figure(item.indicator, item.value),
        *(figure(item.indicator, p) for p in item.parents),
    )
    names = (
        nom,
        *((p.nom or ("France" if p.niveau == "france" else p.code)) for p in item.parents),
    )
    return Comparison(d.id, d.title, item.annee, d.unit, vals, names)


def _elsewhere_in_time(item: q.TerritoryIndicator, niveau: str) -> bool:
    """No value in the year asked, but one in another year: the year of another indicator,
    kept when the indicator changed without JavaScript. A territory page keeps a year of the
    indicator (its absence note says why and which years have a value); a school page, which
    has no such note, and any page asked for a year the indicator never had, reset."""
    if item.value.statut != "absent" or not any(v.statut != "absent" for v in item.serie):
        return False
    return niveau == "etablissement" or item.annee not in item.indicator.annees


def latest_of(
    release: ServedRelease, result: q.TerritoryIndicators, item: q.TerritoryIndicator
) -> q.TerritoryIndicator:
    """``item`` in the latest year it has a value for this territory, so that the year
    resets instead of drawing an empty chart."""
    again = q.territory_indicators(
        release, result.niveau, result.code, only=(item.indicator.definition.id,)
    )
    return again.items[0] if again.items else item


MAX_ANCESTORS = 1024  # parent territories whose indicators are kept per release


def ancestor(release: ServedRelease, niveau: str, code: str) -> q.TerritoryIndicators | None:
    """Every indicator of a parent territory: the same few parents (France, régions,
    académies, départements) serve many pages, so they are kept per release."""
    known: LRU[tuple[str, str], q.TerritoryIndicators | None] = release.memo(
        ancestor, lambda: LRU(MAX_ANCESTORS)
    )

    def compute() -> q.TerritoryIndicators | None:
        try:
            return q.territory_indicators(release, niveau, code)
        except NotFound:
            return None

    return known.get_or_put((niveau, code), compute)


def ancestor_series(
    release: ServedRelease,
    result: q.TerritoryIndicators,
    indicator_id: str,
) -> list[tuple[str, Sequence[q.IndicatorValue]]]:
    """The chosen indicator's series for each ancestor (nearest first, France last)."""
    out: list[tuple[str, Sequence[q.IndicatorValue]]] = []
    for lv, c in result.ancestors:
        other = ancestor(release, lv, c)
        if other is None:
            continue
        for item in other.items:
            if item.indicator.definition.id == indicator_id:
                out.append((other.nom or ("France" if lv == "france" else c), item.serie))
    return out


def indicator_panel(
    release: ServedRelease,
    result: q.TerritoryIndicators | None,
    nom: str,
    params: Mapping[str, str],
    *,
    path: str,
    query: str,
) -> tuple[tuple[Comparison, ...], q.TerritoryIndicator | None, list[Filter], list[Chart]]:
    """What a territory or school page shows of its indicators: the comparisons with the
    parent levels, the indicator chosen (``?indicateur=``, else the default), its filters, and
    its two charts (beside the parents, and over the years with the parents' series)."""
    comps = comparisons(result, nom)
    items = result.items if result else ()
    chosen = next(
        (i for i in items if i.indicator.definition.id == params.get("indicateur")), None
    ) or default_indicator(items)
    if chosen is not None and result is not None and _elsewhere_in_time(chosen, result.niveau):
        chosen = latest_of(release, result, chosen)
        comps = tuple(
            c if c.indicateur != chosen.indicator.definition.id else comparisons_of(chosen, nom)
            for c in comps
        )
    filtres: list[Filter] = []
    chart_list: list[Chart] = []
    if chosen is not None and result is not None:
        info = chosen.indicator
        filtres = [
            Filter(
                "indicateur",
                "Indicateur",
                indicator_options([i.indicator for i in items], info.definition.id),
            ),
            Filter("annee", "Année scolaire", year_options(info.annees, chosen.annee)),
        ]
        comp = next(c for c in comps if c.indicateur == info.definition.id)
        if len(comp.valeurs) > 1:  # a value of the school alone (a lycée's bac) compares nothing
            chart_list.append(comparison_chart(release, comp, info, path=path, query=query))
        named = [(nom, chosen.serie), *ancestor_series(release, result, info.definition.id)]
        chart_list.append(series_chart(release, info, named, path=path, query=query))
    return comps, chosen, filtres, chart_list


def territory_page(
    release: ServedRelease, niveau: str, code: str, params: Mapping[str, str], path: str, query: str
) -> TerritoryPage:
    t = T.territory(release, niveau, code)
    annee = q.school_year(params.get("annee"))
    try:
        result: q.TerritoryIndicators | None = q.territory_indicators(
            release, t.niveau, t.code, annee
        )
    except NotFound:
        result = None
    comps, chosen, filtres, chart_list = indicator_panel(
        release, result, t.nom, params, path=path, query=query
    )
    if chosen is not None and result is not None:
        drawn = _territory_map(release, t, chosen, path, query)
        if drawn is not None:
            chart_list.append(drawn)
    note = absence(release, chosen, t.niveau, t.code, t.nom) if chosen is not None else None
    chart_list = [ch for ch in chart_list if drawable(ch)]
    schools = school_list(
        schools_in(release, t.niveau, t.code) if t.niveau != "france" else [], params, path
    )
    return TerritoryPage(
        page(
            release,
            t.libelle,
            f"{t.libelle} : indicateurs clés comparés aux territoires "
            "parents et à la France, évolution, carte, établissements et données.",
            path,
            query,
            breadcrumb(t.parents),
        ),
        t.niveau,
        t.code,
        t.nom,
        t.libelle,
        t.population,
        parent_links(t.parents),
        dict(t.enfants),
        tuple(filtres),
        comps,
        tuple(chart_list),
        schools.items,
        schools.total,
        tuple(
            Link(
                f"{j.titre} ({j.enregistrements} lignes)",
                ROOT.dataset_page(j.dataset_id, territoire=f"{t.niveau}:{t.code}"),
            )
            for j in t.jeux
        ),
        _children(release, t.niveau, t.code),
        schools.filters,
        schools.counts,
        schools.shown,
        schools.pager,
        note,
    )


def _territory_map(
    release: ServedRelease, t: T.Territory, chosen: q.TerritoryIndicator, path: str, query: str
) -> Chart | None:
    """The map of the chosen indicator over the territory's children (a commune: itself)."""
    info = chosen.indicator
    points = [
        {
            "uai": s.uai,
            "nom": s.nom or s.uai,
            "lat": s.lat,
            "lon": s.lon,
            "url": ROOT.school_page(s.uai),
        }
        for s in (schools_in(release, t.niveau, t.code) if t.niveau in SCHOOL_POINTS else ())
        if s.lat is not None and s.lon is not None
    ]
    child = CHILD_MAP.get(t.niveau)
    values: q.IndicatorValues | None = None
    if child and child in info.definition.levels and child in MAP_LEVELS:
        try:
            values = q.indicator_values(
                release, info.definition.id, child, chosen.annee, (t.niveau, t.code)
            )
        except NotFound:
            values = None
    elif t.niveau == "commune" and "commune" in info.definition.levels:
        # a commune has no finer contours: the commune itself, its value and its schools
        values = q.IndicatorValues(
            info, "commune", chosen.annee, ("commune", t.code), (chosen.value,)
        )
    if values is None:
        return None
    return indicator_map(release, values, path=path, query=query, where=t.libelle, points=points)


def default_indicator(items: Sequence[q.TerritoryIndicator]) -> q.TerritoryIndicator | None:
    """The indicator drawn when none is chosen: one with a value, the most asked for first,
    a headcount (a sum, meaningless beside national totals) last."""
    rank = {name: n for n, name in enumerate(PREFERRED)}
    with_value = [i for i in items if i.value.statut == "ok"]
    ordered = sorted(
        with_value or list(items),
        key=lambda i: (
            rank.get(i.indicator.definition.id, len(rank)),
            i.indicator.definition.formula.aggregation == "sum",
        ),
    )
    return ordered[0] if ordered else None


def _children(release: ServedRelease, niveau: str, code: str) -> tuple[Link, ...]:
    ref = territories_of(release).referential
    out: list[tuple[str, str, str]] = []
    if niveau == "france":
        out = [("region", r.code, r.nom) for r in ref.regions.values()]
    elif niveau == "region":
        out = [
            ("academie", a.code, a.nom)
            for a in ref.academies.values()
            if a.region == code and not a.ancienne
        ]
    elif niveau == "academie":
        a = ref.academies[code]
        out = [
            ("departement", d, ref.departements[d].nom)
            for d in a.departements
            if d in ref.departements
        ]
    elif niveau == "departement":
        out = list(release.memo(_communes, lambda: _communes(release)).get(code, ()))
    out.sort(key=lambda x: x[2])
    return tuple(
        Link(f"{nom} ({LEVEL_LABELS[lv]})", ROOT.place_page(lv, c))
        for lv, c, nom in out[:MAX_CHILDREN]
    )


def _communes(release: ServedRelease) -> dict[str, tuple[tuple[str, str, str], ...]]:
    """The current communes of each département, in the referential's order: one pass over
    the ~35,000 communes per release instead of one per département page."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for c in territories_of(release).referential.communes.values():
        if c.type == "commune-actuelle":
            out.setdefault(c.departement, []).append(("commune", c.code, c.nom))
    return {k: tuple(v) for k, v in out.items()}


__all__ = ["ancestor", "default_indicator", "schools_in", "territory_page"]
