"""Fair comparison of a school with similar schools (as Australia's My School does).

The group: the schools of the same kind (collège, lycée…) and the same sector (public,
privé) whose IPS, the same school year, lies within ``IPS_BAND`` points of the school's.
Against this group, each result indicator of the school (DNB or bac rate, value added,
written mark: ``BY_KIND``) is set beside the group's mean over the members that have a
value, with the number of members: a raw ranking compares schools whose pupils do not
start from the same place.
"""

from __future__ import annotations

from dataclasses import dataclass

from ardoise.errors import NotFound
from ardoise.query.indicator_index import indicator_index
from ardoise.query.indicators import indicator
from ardoise.query.release import ServedRelease
from ardoise.query.territories.context import territories_of

IPS_BAND = 5.0  # IPS points either side of the school's
MIN_GROUP = 5  # fewer similar schools than this: no group mean is shown
# The one table of what is compared: kind → (its IPS indicator, its result indicators at
# the school level). An indicator absent from the release, or not computed per school
# (a département-level rate), is left out of the comparison.
BY_KIND: dict[str, tuple[str, tuple[str, ...]]] = {
    "college": (
        "ips_moyen_colleges",
        ("taux_reussite_dnb_colleges", "va_taux_reussite_colleges", "note_ecrit_dnb_colleges"),
    ),
    "lycee": ("ips_moyen_lycees", ("taux_reussite_bac_lycee", "valeur_ajoutee_bac")),
    "lycee_pro": ("ips_moyen_lycees", ("taux_reussite_bac_pro_lycee", "valeur_ajoutee_bac_pro")),
}


@dataclass(frozen=True)
class PeerFigure:
    indicateur: str
    titre: str
    unite: str
    annee: str
    valeur: float | None  # the school's (None: no value that year)
    groupe: float | None  # mean over the group's members with a value (None: too few)
    membres: int  # members with a value
    ecart: float | None  # valeur − groupe


@dataclass(frozen=True)
class Peers:
    uai: str
    kind: str
    secteur: str | None
    annee: str  # the IPS's school year
    ips: float
    bande: float
    taille: int  # schools in the group (the school apart)
    figures: tuple[PeerFigure, ...]


def fair_comparison(release: ServedRelease, uai: str) -> Peers | None:
    """The school's group of similar schools and its results against it; None when the
    school has no IPS (or its kind has no IPS indicator)."""
    school = territories_of(release).schools.by_uai.get(uai)
    kind = school.kind if school is not None else None
    if school is None or kind is None or kind not in BY_KIND:
        return None
    ips_id, results = BY_KIND[kind]
    try:
        ips_info = indicator(release, ips_id)
    except NotFound:
        return None
    for year in reversed(ips_info.annees):
        ips = _values(release, ips_id, year)
        if uai in ips:
            break
    else:
        return None
    schools = territories_of(release).schools.by_uai
    group = {
        code
        for code, value in ips.items()
        if code != uai
        and abs(value - ips[uai]) <= IPS_BAND
        and code in schools
        and schools[code].secteur == school.secteur
        and schools[code].kind == kind
    }
    figures = tuple(
        f for f in (_figure(release, r, uai, group, year) for r in results) if f is not None
    )
    return Peers(uai, kind, school.secteur, year, ips[uai], IPS_BAND, len(group), figures)


def _values(release: ServedRelease, ident: str, year: str) -> dict[str, float]:
    """uai → value of one indicator at the school level (kept per release: the values of
    every school of a year, read once)."""
    return release.memo(
        ("comparison", ident, year),
        lambda: {
            str(r["code"]): float(r["valeur"])
            for r in indicator_index(release).map_rows(ident, "etablissement", year)
            if r["statut"] == "ok" and r["valeur"] is not None
        },
    )


def _figure(
    release: ServedRelease, ident: str, uai: str, group: set[str], ips_year: str
) -> PeerFigure | None:
    try:
        info = indicator(release, ident)
    except NotFound:
        return None
    if not info.annees or "etablissement" not in info.definition.levels:
        return None
    year = ips_year if ips_year in info.annees else info.annees[-1]
    values = _values(release, ident, year)
    members = [values[c] for c in group if c in values]
    mean = sum(members) / len(members) if len(members) >= MIN_GROUP else None
    own = values.get(uai)
    d = info.definition
    return PeerFigure(
        ident,
        d.title,
        d.unit,
        year,
        own,
        mean,
        len(members),
        own - mean if own is not None and mean is not None else None,
    )
