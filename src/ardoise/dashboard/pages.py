"""What every page shares: its ``Page`` header, links to parents, sources, and the choice
of indicators."""

from __future__ import annotations

from collections.abc import Sequence

from ardoise.dashboard.contexts import Link, Option, Page, Source
from ardoise.dashboard.figures import LEVEL_LABELS
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease
from ardoise.query.territories.detail import TerritoryRef
from ardoise.urls import ROOT

HOME = Link("Accueil", ROOT.home())
# Indicators drawn first on maps when none is chosen (the most asked for).
PREFERRED = (
    "ips_moyen_colleges",
    "ips_moyen_ecoles",
    "taux_reussite_dnb",
    "taux_reussite_bac",
    "taux_reussite_bac_lycee",  # a lycée's page: its bac results first…
    "taux_reussite_bac_pro_lycee",
    "ips_moyen_lycees",  # …then its social index, before its headcount
    "taux_reussite_bac_pro",
)


def page(
    release: ServedRelease,
    titre: str,
    description: str,
    path: str,
    query: str,
    fil: Sequence[Link] = (),
) -> Page:
    return Page(
        titre,
        description,
        path + (f"?{query}" if query else ""),
        (HOME, *fil),
        release.id,
        release.created_at,
        ROOT.page_twin(path, query),
    )


def breadcrumb(parents: Sequence[TerritoryRef]) -> tuple[Link, ...]:
    """The trail above a page: its parents, France first (``parents`` come nearest first)."""
    return tuple(Link(p.nom, ROOT.place_page(p.niveau, p.code)) for p in reversed(parents))


def parent_links(parents: Sequence[TerritoryRef]) -> tuple[Link, ...]:
    """A link to each parent, named with its level (« Département : Rhône »)."""
    return tuple(
        Link(f"{LEVEL_LABELS[p.niveau].capitalize()} : {p.nom}", ROOT.place_page(p.niveau, p.code))
        for p in parents
    )


def sources(release: ServedRelease, dataset_ids: Sequence[str]) -> tuple[Source, ...]:
    out = []
    for ds in dict.fromkeys(dataset_ids):
        view = release.datasets.get(ds)
        if view is not None:
            out.append(Source(ds, view.dataset.title, ROOT.dataset_page(ds)))
    return tuple(out)


def indicators_at(release: ServedRelease, niveau: str) -> tuple[q.IndicatorInfo, ...]:
    """Indicators computed at ``niveau`` that have values, preferred ones first."""
    found = [i for i in q.list_indicators(release) if niveau in i.definition.levels and i.annees]
    rank = {name: n for n, name in enumerate(PREFERRED)}
    found.sort(key=lambda i: rank.get(i.definition.id, len(rank)))
    return tuple(found)


def pick(options: Sequence[q.IndicatorInfo], wanted: str | None) -> q.IndicatorInfo | None:
    for info in options:
        if info.definition.id == wanted:
            return info
    return options[0] if options else None


def indicator_options(options: Sequence[q.IndicatorInfo], chosen: str | None) -> tuple[Option, ...]:
    return tuple(
        Option(i.definition.id, i.definition.title, i.definition.id == chosen) for i in options
    )


def year_options(years: Sequence[str], chosen: str | None) -> tuple[Option, ...]:
    return tuple(Option(y, y, y == chosen) for y in reversed(years))
