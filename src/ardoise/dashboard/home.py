"""``/``: national key figures, a choropleth with its level, indicator and year, themes."""

from __future__ import annotations

from collections.abc import Mapping

from ardoise.dashboard.contexts import (
    Chart,
    Figure,
    Filter,
    HomePage,
    IndicatorsPage,
    Link,
    Option,
    Theme,
)
from ardoise.dashboard.figures import LEVEL_PLURALS, figure
from ardoise.dashboard.maps import indicator_map
from ardoise.dashboard.pages import indicator_options, indicators_at, page, pick, year_options
from ardoise.dashboard.territory import ancestor
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease
from ardoise.urls import ROOT

HOME_LEVELS = ("region", "academie", "departement")
KEY_FIGURES = 8


def home_page(release: ServedRelease, params: Mapping[str, str], query: str) -> HomePage:
    niveau = params.get("niveau") or "departement"
    if niveau not in HOME_LEVELS:
        niveau = "departement"
    options = indicators_at(release, niveau)
    info = pick(options, params.get("indicateur"))
    charts: tuple[Chart, ...] = ()
    filtres = [
        Filter(
            "niveau",
            "Niveau de la carte",
            tuple(Option(lv, LEVEL_PLURALS[lv].capitalize(), lv == niveau) for lv in HOME_LEVELS),
        )
    ]
    if info is not None:
        annee = params.get("annee") if params.get("annee") in info.annees else info.annees[-1]
        result = q.indicator_values(release, info.definition.id, niveau, annee)
        charts = (indicator_map(release, result, path=ROOT.home(), query=query),)
        filtres += [
            Filter("indicateur", "Indicateur", indicator_options(options, info.definition.id)),
            Filter("annee", "Année scolaire", year_options(info.annees, annee)),
        ]
    return HomePage(
        page(
            release,
            "Tableau de bord de l'éducation",
            "Chiffres clés nationaux, carte par territoire et accès aux données ouvertes de "
            "l'éducation, avec leurs sources.",
            ROOT.home(),
            query,
            (),
        ),
        _key_figures(release),
        tuple(filtres),
        charts,
        _themes(release),
    )


def indicators_page(release: ServedRelease, query: str) -> IndicatorsPage:
    """``/indicateurs``: every indicator of the release, by theme."""
    return IndicatorsPage(
        page(
            release,
            "Indicateurs",
            "Tous les indicateurs calculés, par thème, avec leur définition, leurs sources et "
            "leurs valeurs par territoire.",
            ROOT.indicators_page(),
            query,
        ),
        _themes(release),
    )


def _key_figures(release: ServedRelease) -> tuple[Figure, ...]:
    national = ancestor(release, "france", "FR")
    if national is None:
        return ()
    items = [i for i in national.items if i.value.statut == "ok"]
    return tuple(figure(i.indicator, i.value) for i in items[:KEY_FIGURES])


def _themes(release: ServedRelease) -> tuple[Theme, ...]:
    groups: dict[str, list[q.IndicatorInfo]] = {}
    labels: dict[str, str] = {}
    for info in q.list_indicators(release):
        groups.setdefault(info.definition.theme, []).append(info)
        labels[info.definition.theme] = info.theme_label
    return tuple(
        Theme(
            t,
            labels[t],
            tuple(Link(i.definition.title, ROOT.indicator_page(i.definition.id)) for i in items),
        )
        for t, items in groups.items()
    )
