"""``get_indicator``, ``compare_territories`` and ``list_indicators``: the indicator data
functions of ``query.indicators`` (the same as ``/api/v1/indicateurs``), reshaped, each
value with its citation (definition version, source datasets, release, and the Explore API
URL that reproduces it).
"""

from __future__ import annotations

import difflib

from mcp.server.mcpserver.exceptions import ToolError

from ardoise.mcp.citations import Citer
from ardoise.mcp.schemas import (
    Comparison,
    IndicatorFigure,
    IndicatorList,
    IndicatorRef,
    IndicatorResult,
    IndicatorSummary,
)
from ardoise.mcp.territory import resolve, school_name
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease
from ardoise.query.territories.levels import TerritoryNotFound
from ardoise.urls import ROOT

MAX_TERRITORIES = 30


def info_of(release: ServedRelease, indicator_id: str) -> q.IndicatorInfo:
    """The indicator, or a tool error naming the closest ids."""
    known = {i.definition.id: i for i in q.list_indicators(release)}
    found = known.get(indicator_id.strip())
    if found is not None:
        return found
    near = difflib.get_close_matches(indicator_id.strip(), list(known), n=5, cutoff=0.4)
    hint = f"Identifiants proches : {', '.join(near)}. " if near else ""
    raise ToolError(
        f"Indicateur inconnu : {indicator_id[:80]!r}. {hint}La liste complète est "
        "donnée par list_indicators()."
    )


def _ref(info: q.IndicatorInfo) -> IndicatorRef:
    d = info.definition
    return IndicatorRef(
        id=d.id,
        titre=d.title,
        unite=d.unit,
        decimales=d.decimals,
        version=d.version,
        definition=d.short_description,
        document=f"ardoise://indicateurs/{d.id}",
    )


def _figure(citer: Citer, info: q.IndicatorInfo, v: q.IndicatorValue) -> IndicatorFigure:
    p = v.provenance
    return IndicatorFigure(
        niveau=v.niveau,
        code=v.code,
        nom=v.nom or school_name(citer.release, v.niveau, v.code),
        annee_scolaire=v.annee,
        valeur=v.valeur,
        base=v.base,
        statut=v.statut,
        secret=v.secret_libelle,
        rang=v.rang,
        rang_sur=v.rang_sur,
        citation=citer.cite(
            p.sources or info.definition.dataset_ids,
            p.requete,
            version=p.version,
            lecture=p.lecture,
        ),
    )


def _year(info: q.IndicatorInfo, school_year: str | None) -> str | None:
    year = q.school_year(school_year, parameter="school_year")
    if year is not None and year not in info.annees:
        raise ToolError(
            f"L'indicateur {info.definition.id} n'a pas de valeur pour l'année scolaire {year}. "
            f"Années disponibles : {', '.join(info.annees) or 'aucune'}."
        )
    return year


def _item(
    release: ServedRelease, info: q.IndicatorInfo, niveau: str, code: str, year: str | None
) -> q.TerritoryIndicator:
    d = info.definition
    if niveau not in d.levels:
        raise ToolError(
            f"L'indicateur {d.id} n'est pas calculé au niveau {niveau} (niveaux : "
            f"{', '.join(d.levels)}). Choisissez un territoire d'un de ces niveaux."
        )
    try:
        result = q.territory_indicators(release, niveau, code, year, only=(d.id,))
    except TerritoryNotFound as exc:
        raise ToolError(
            f"{exc} Vérifiez le territoire avec find_territory ; les arrondissements de Paris, "
            "Lyon et Marseille et les communes déléguées comptent dans leur commune."
        ) from None
    for item in result.items:
        if item.indicator.definition.id == d.id:
            return item
    raise ToolError(
        f"L'indicateur {d.id} n'a aucune valeur pour {niveau}:{code} dans cette "
        "release (territoire hors des sources). Vérifiez le territoire avec "
        "find_territory, ou voyez la couverture dans la ressource "
        f"ardoise://indicateurs/{d.id}."
    )


def get_indicator(
    release: ServedRelease,
    citer: Citer,
    indicator_id: str,
    territory: str,
    school_year: str | None = None,
) -> IndicatorResult:
    info = info_of(release, indicator_id)
    year = _year(info, school_year)
    niveau, code = resolve(release, citer, territory)
    item = _item(release, info, niveau, code, year)
    value = _figure(citer, info, item.value)
    message = _reading(info, value)
    if year is None:
        message += f" Année non précisée : la plus récente avec une valeur ({item.annee})."
    return IndicatorResult(
        indicateur=_ref(info),
        territoire=f"{niveau}:{code}",
        valeur=value,
        parents=[_figure(citer, info, p) for p in item.parents],
        serie=[_figure(citer, info, s) for s in item.serie],
        message=message,
    )


def _reading(info: q.IndicatorInfo, f: IndicatorFigure) -> str:
    d = info.definition
    where = f"{f.nom or f.code} ({f.niveau})"
    if f.statut == "absent" or (
        f.valeur is None and f.statut not in ("non_significatif", "secret_statistique")
    ):
        return (
            f"Pas de valeur de « {d.title} » pour {where} en {f.annee_scolaire} : la source "
            "ne couvre pas ce territoire cette année-là (ce n'est pas zéro)."
        )
    if f.statut == "secret_statistique":
        return (
            f"« {d.title} » pour {where} en {f.annee_scolaire} est couvert par le secret "
            f"statistique ({f.secret}) : pas de valeur à citer, ce n'est pas zéro."
        )
    if f.statut == "non_significatif":
        return (
            f"« {d.title} » pour {where} en {f.annee_scolaire} n'est pas significatif (base "
            f"{f.base}, minimum {d.min_base}) : ne le citez pas comme un chiffre."
        )
    value = f"{f.valeur:.{d.decimals}f}" if f.valeur is not None else "?"
    return (
        f"{d.title} — {where}, {f.annee_scolaire} : {value} {d.unit} (base {f.base}). "
        "Citez la source : jeux, release et URL de la citation."
    )


def compare_territories(
    release: ServedRelease,
    citer: Citer,
    indicator_id: str,
    territories: list[str],
    school_year: str | None = None,
) -> Comparison:
    info = info_of(release, indicator_id)
    if not territories:
        raise ToolError(
            "Donnez au moins un territoire (liste de niveau:code, ex. "
            '["departement:48", "departement:12"]).'
        )
    if len(territories) > MAX_TERRITORIES:
        raise ToolError(
            f"Au plus {MAX_TERRITORIES} territoires par comparaison "
            f"({len(territories)} donnés) ; pour tous les territoires d'un niveau, "
            f"utilisez l'API {ROOT.indicators()}/{{id}}/valeurs?niveau=…."
        )
    year = _year(info, school_year) or (info.annees[-1] if info.annees else None)
    if year is None:
        raise ToolError(f"L'indicateur {info.definition.id} n'a aucune valeur dans cette release.")
    figures = [_figure(citer, info, v) for v in _values(release, citer, info, territories, year)]
    ranked = sorted(
        (f for f in figures if f.statut == "ok" and f.valeur is not None),
        key=lambda f: -(f.valeur or 0.0),
    )
    message = f"{info.definition.title}, {year}"
    if ranked:
        message += " : " + " > ".join(
            f"{f.nom or f.code} {f.valeur:.{info.definition.decimals}f}" for f in ranked
        )
    missing = [f.nom or f.code for f in figures if f.statut != "ok"]
    if missing:
        message += (
            f". Sans valeur citable (absent, non significatif ou secret statistique) : "
            f"{', '.join(missing)}"
        )
    if school_year is None:
        message += f". Année non précisée : la plus récente de l'indicateur ({year})"
    return Comparison(
        indicateur=_ref(info), annee_scolaire=year, valeurs=figures, message=message + "."
    )


# Levels with few territories: the whole level in one lookup (what a map reads).
_WHOLE_LEVELS = ("departement", "academie", "region", "france")


def _values(
    release: ServedRelease, citer: Citer, info: q.IndicatorInfo, territories: list[str], year: str
) -> list[q.IndicatorValue]:
    """The value of each territory for ``year``, in the order given."""
    wanted = [resolve(release, citer, t) for t in territories]
    by_level: dict[str, dict[str, q.IndicatorValue]] = {}
    for niveau in {n for n, _ in wanted if n in _WHOLE_LEVELS and n in info.definition.levels}:
        found = q.indicator_values(release, info.definition.id, niveau, year)
        by_level[niveau] = {v.code: v for v in found.values}
    out = []
    for niveau, code in wanted:
        value = by_level.get(niveau, {}).get(code)
        out.append(value or _item(release, info, niveau, code, year).value)
    return out


def list_indicators(release: ServedRelease, citer: Citer) -> IndicatorList:
    items = []
    for info in q.list_indicators(release):
        d = info.definition
        items.append(
            IndicatorSummary(
                id=d.id,
                titre=d.title,
                description_courte=d.short_description,
                unite=d.unit,
                version=d.version,
                theme=info.theme_label,
                niveaux=list(d.levels),
                annees_scolaires=list(info.annees),
                sources=list(d.dataset_ids),
                formule=d.formula.text,
                agregation=info.aggregation_label,
                base=info.base_label,
                precautions=list(d.caveats),
                document=f"ardoise://indicateurs/{d.id}",
            )
        )
    sources = [s for i in items for s in i.sources]
    return IndicatorList(
        release=release.id,
        total_count=len(items),
        indicateurs=items,
        citation=citer.cite(sources, ROOT.indicators()),
    )
