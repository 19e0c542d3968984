"""``search_territories``: the search index of a release, as results for autocompletion."""

from __future__ import annotations

from dataclasses import dataclass

from ardoise.odsql.errors import InvalidParameter
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels
from ardoise.query.territories.context import territories_of
from ardoise.query.territories.school import preload
from ardoise.query.territories.search import MAX_LIMIT
from ardoise.urls import ROOT


@dataclass(frozen=True)
class SearchResult:
    niveau: str
    code: str
    nom: str
    libelle: str  # "Saint-Étienne (42)", "Académie de Lyon", "Collège X — Rodez (12)"
    population: int | None
    correspondance: str  # code, nom, debut, mot, approchant (search.TIERS)
    url: str


def prepare(release: ServedRelease) -> None:
    """Build everything now (at start-up, or in a thread) rather than on first requests:
    referential, schools, search index, rows per territory, rows of schools."""
    state = territories_of(release)
    state.search  # noqa: B018 - builds the referential, the schools and the index
    state.presence  # noqa: B018
    state.child_counts  # noqa: B018
    preload(state)


def search_territories(
    release: ServedRelease, q: str, niveau: str | None = None, limit: int = 10
) -> list[SearchResult]:
    """Territories and schools matching ``q`` by name or code, best first.

    Accents, case and punctuation are ignored, "st" reads "saint", a prefix or one typo is
    enough; ties go to the larger population. ``niveau`` restricts to one level.
    """
    wanted = (levels.level(niveau),) if niveau else levels.LEVELS
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre limit : {limit} (entre 1 et {MAX_LIMIT})."
        )
    hits = territories_of(release).search.search(q, wanted, limit)
    return [
        SearchResult(
            h.entry.niveau,
            h.entry.code,
            h.entry.nom,
            h.entry.libelle,
            h.entry.population,
            h.correspondance,
            ROOT.place(h.entry.niveau, h.entry.code),
        )
        for h in hits
    ]
