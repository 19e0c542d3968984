"""Why a territory has no value for the indicator it shows, and where the value exists: the
years it has one, the parents that have one. Said on the page instead of an empty chart."""

from __future__ import annotations

from ardoise.dashboard.contexts import Absence, Chart, Link
from ardoise.dashboard.figures import LEVEL_LABELS
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease
from ardoise.query.territories.context import territories_of
from ardoise.query.territories.schools import KINDS
from ardoise.urls import ROOT


def drawable(chart: Chart) -> bool:
    """A chart with at least one value to draw (else its axis would read « 0.000000 »)."""
    return any(row.get("valeur") is not None for row in chart.table.rows)


def _reason(release: ServedRelease, item: q.TerritoryIndicator, niveau: str, code: str) -> str:
    d = item.indicator.definition
    if item.value.secret_libelle:  # a count of a restricted dataset (issue #16)
        return (
            "la valeur est couverte par le secret statistique ("
            f"{item.value.secret_libelle}) ; ce n'est pas un zéro"
        )
    if item.value.statut == "non_significatif":
        return (
            "la valeur n'est pas publiée : elle porterait sur trop peu d'élèves ou "
            "d'établissements pour être significative (secret statistique)"
        )
    context = territories_of(release)
    here = context.schools.count(niveau, code)
    kinds = set().union(
        *(context.schools.expected_kinds.get(ds, frozenset()) for ds in d.dataset_ids)
    )
    titles = [release.datasets[ds].dataset.title for ds in d.dataset_ids if ds in release.datasets]
    sources = ", ".join(f"« {t} »" for t in titles) or "ses sources"
    if _counted_elsewhere(release, item, niveau, code):
        return (
            f"{sources} rattachent les établissements de ses communes à un autre département "
            "(Saint-Martin et Saint-Barthélemy : la Guadeloupe, 971), où ils sont comptés comme "
            "dans les totaux officiels ; ses communes ont leur propre valeur"
        )
    if kinds and not any(here.get(k) for k in kinds):
        names = " ni ".join(KINDS[k] for k in sorted(kinds) if k in KINDS)
        return f"aucun établissement de ce type ({names}) n'est rattaché à ce territoire, donc {sources} n'ont aucune ligne ici"
    return f"{sources} n'ont aucune ligne pour ce territoire en {item.annee}"


def communes_with_a_value(
    release: ServedRelease, item: q.TerritoryIndicator, niveau: str, code: str
) -> tuple[q.IndicatorValue, ...]:
    """The communes of a département (or région) that have a value the year it has none."""
    d = item.indicator.definition
    if niveau not in ("departement", "region") or "commune" not in d.levels:
        return ()
    values = q.indicator_values(release, d.id, "commune", item.annee, (niveau, code)).values
    return tuple(v for v in values if v.statut == "ok")


def _counted_elsewhere(
    release: ServedRelease, item: q.TerritoryIndicator, niveau: str, code: str
) -> bool:
    return item.value.statut == "absent" and bool(
        communes_with_a_value(release, item, niveau, code)
    )


def absence(
    release: ServedRelease, item: q.TerritoryIndicator, niveau: str, code: str, nom: str
) -> Absence | None:
    """The note shown when ``item`` has no value for the territory in its year."""
    if item.value.statut == "ok":
        return None
    d = item.indicator.definition
    years = [v.annee for v in item.serie if v.statut == "ok"]
    links = [
        Link(f"{nom} en {y}", ROOT.place_page(niveau, code, indicateur=d.id, annee=y))
        for y in reversed(years)
    ]
    links += [
        Link(f"Commune : {v.nom or v.code}", ROOT.place_page("commune", v.code, indicateur=d.id))
        for v in communes_with_a_value(release, item, niveau, code)[:5]
    ]
    for parent in item.parents:
        if parent.statut == "ok":
            label = (
                "France"
                if parent.niveau == "france"
                else f"{LEVEL_LABELS[parent.niveau].capitalize()} : {parent.nom or parent.code}"
            )
            links.append(Link(label, ROOT.place_page(parent.niveau, parent.code, indicateur=d.id)))
    text = (
        f"Pas de valeur de « {d.title} » pour {nom} en {item.annee} : "
        f"{_reason(release, item, niveau, code)}."
    )
    return Absence(text, tuple(links))
