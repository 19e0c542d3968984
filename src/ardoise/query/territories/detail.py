"""One territory, and one school joined across every dataset that links rows to it.

Links are root-relative URLs (``/api/v1/…``); each surface makes them absolute if it wants.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels
from ardoise.query.territories.context import (
    ReleaseTerritories,
    academie_population,
    elided,
    france_population,
    territories_of,
)
from ardoise.query.territories.geo import bbox
from ardoise.query.territories.schools import KINDS, School
from ardoise.release.school_descriptors import DERIVED_IDS
from ardoise.urls import ROOT, segment

BBox = tuple[float, float, float, float]
SOURCE_INSEE = "Insee, populations légales (référentiel @etalab/decoupage-administratif)"
_CHILD_GEO = {
    "france": ("region", "academie", "departement"),
    "region": ("academie", "departement", "commune"),
    "academie": ("departement", "commune"),
    "departement": ("commune",),
}


@dataclass(frozen=True)
class TerritoryRef:
    niveau: str
    code: str
    nom: str
    url: str


@dataclass(frozen=True)
class DatasetRows:
    """A dataset holding rows linked to the territory, and the Explore query giving them."""

    dataset_id: str
    titre: str
    enregistrements: int
    url: str


@dataclass(frozen=True)
class Territory:
    niveau: str
    code: str
    nom: str
    libelle: str
    parents: tuple[TerritoryRef, ...]  # from the nearest up to France
    enfants: dict[str, int]  # finer level → number of territories (schools included)
    etablissements_par_type: dict[str, int]
    population: int | None
    population_source: str | None
    bbox: BBox | None  # [ouest, sud, est, nord] in degrees
    jeux: tuple[DatasetRows, ...]
    liens: dict[str, str]
    attributs: dict[str, Any] = field(default_factory=dict)  # level-specific facts


def territory(release: ServedRelease, niveau: str, code: str) -> Territory:
    """Name, parents, children per level, population, bounding box, datasets and links."""
    niveau = levels.level(niveau)
    code = levels.code(niveau, code)
    state = territories_of(release)
    state.require(niveau, code)
    nom, libelle, population, source, attributs = _identity(state, niveau, code)
    counts = Counter(state.child_counts.get((niveau, code), Counter()))
    schools = state.schools.count(niveau, code) if niveau != "etablissement" else Counter()
    if schools:
        counts["etablissement"] = sum(schools.values())
    return Territory(
        niveau=niveau,
        code=code,
        nom=nom,
        libelle=libelle,
        parents=parents(state, niveau, code),
        enfants={lv: counts[lv] for lv in levels.LEVELS if counts.get(lv)},
        etablissements_par_type={k: schools[k] for k in KINDS if schools.get(k)},
        population=population,
        population_source=source if population is not None else None,
        bbox=_bbox(state, niveau, code),
        jeux=_datasets(state, niveau, code),
        liens=_links(niveau, code),
        attributs=attributs,
    )


def parents(state: ReleaseTerritories, niveau: str, code: str) -> tuple[TerritoryRef, ...]:
    ref = state.referential
    out: list[TerritoryRef] = []
    commune = dep = aca = reg = None
    if niveau == "etablissement":
        school = state.schools.by_uai[code]
        commune, dep, aca, reg = school.commune, school.departement, school.academie, school.region
    elif niveau == "commune":
        c = ref.communes[code]
        dep, aca, reg = c.departement, c.academie, c.region
        commune = c.commune_parente  # a commune's "commune": the one it belongs to
    elif niveau == "departement":
        dep = None
        aca, reg = ref.departements[code].academie, ref.departements[code].region
    elif niveau == "academie":
        reg = ref.academies[code].region
    elif niveau == "region":
        reg = None
    if commune and commune in ref.communes:
        c = ref.communes[commune]
        out.append(_ref("commune", c.code, c.nom))
        if c.commune_parente and c.commune_parente in ref.communes:
            out.append(_ref("commune", c.commune_parente, ref.communes[c.commune_parente].nom))
    if dep and dep in ref.departements:
        out.append(_ref("departement", dep, ref.departements[dep].nom))
    if aca and aca in ref.academies:
        out.append(_ref("academie", aca, ref.academies[aca].nom))
    if reg and reg in ref.regions:
        out.append(_ref("region", reg, ref.regions[reg].nom))
    if niveau != "france":
        out.append(_ref("france", levels.FRANCE, "France"))
    return tuple(out)


def _identity(
    state: ReleaseTerritories, niveau: str, code: str
) -> tuple[str, str, int | None, str, dict[str, Any]]:
    ref = state.referential
    if niveau == "france":
        return "France", "France", france_population(ref), "somme des régions", {}
    if niveau == "region":
        r = ref.regions[code]
        label = r.nom if r.zone == "com" else f"Région {r.nom}"
        return r.nom, label, r.population, SOURCE_INSEE, {"zone": r.zone, "chef_lieu": r.chef_lieu}
    if niveau == "academie":
        a = ref.academies[code]
        return (
            a.nom,
            elided("Académie de", a.nom),
            academie_population(ref, code),
            ("somme des départements"),
            {
                "region_academique": a.region_academique,
                "region_academique_nom": a.region_academique_nom,
                "departements": list(a.departements),
                "ancienne": a.ancienne,
                "remplacee_par": a.remplacee_par,
                "codes_lies": list(state.members("academie", code)),
            },
        )
    if niveau == "departement":
        d = ref.departements[code]
        return (
            d.nom,
            f"{d.nom} ({d.code})",
            d.population,
            SOURCE_INSEE,
            {"zone": d.zone, "chef_lieu": d.chef_lieu},
        )
    if niveau == "commune":
        c = ref.communes[code]
        return (
            c.nom,
            f"{c.nom} ({c.departement})",
            c.population,
            SOURCE_INSEE,
            {
                "type": c.type,
                "codes_postaux": list(c.codes_postaux),
                "codes_lies": list(state.members("commune", code)),
            },
        )
    s = state.schools.by_uai[code]
    return (
        s.nom or code,
        s.nom or code,
        None,
        "",
        {"nature": s.nature, "type": s.kind, "secteur": s.secteur},
    )


def _bbox(state: ReleaseTerritories, niveau: str, code: str) -> BBox | None:
    if niveau == "etablissement":
        s = state.schools.by_uai[code]
        return (s.lon, s.lat, s.lon, s.lat) if s.lat is not None and s.lon is not None else None
    return bbox(state, niveau, code)


def _datasets(state: ReleaseTerritories, niveau: str, code: str) -> tuple[DatasetRows, ...]:
    rows: Counter[str] = Counter()
    if niveau == "etablissement":
        school = state.schools.by_uai[code]
        rows.update(dict(zip(school.datasets, school.rows, strict=True)))
    else:
        for member in state.members(niveau, code):
            rows.update(state.presence.get((niveau, member), {}))
    views = state.release.datasets
    return tuple(  # the tables derived from the others (#18) are not one more source
        DatasetRows(ds, views[ds].dataset.title, n, explore_url(ds, niveau, code))
        for ds, n in sorted(rows.items())
        if n and ds in views and ds not in DERIVED_IDS
    )


def explore_url(dataset_id: str, niveau: str, code: str) -> str:
    """The Explore records of ``dataset_id`` linked to the territory (root-relative)."""
    return ROOT.records(dataset_id, f"territoire={niveau}:{segment(code)}")


def _links(niveau: str, code: str) -> dict[str, str]:
    out = {
        "self": ROOT.territory(niveau, code),
        "indicateurs": ROOT.territory_indicators(niveau, code),
    }
    if niveau == "etablissement":
        out["etablissement"] = ROOT.place(niveau, code)
    if niveau in levels.GEO_FILES:
        out["contour"] = ROOT.geo(niveau, (niveau, code))
    for child in _CHILD_GEO.get(niveau, ()):
        out[f"contours_{child}"] = ROOT.geo(child, (niveau, code))
    return out


def _ref(niveau: str, code: str, nom: str) -> TerritoryRef:
    return TerritoryRef(niveau, code, nom, ROOT.place(niveau, code))


__all__ = [
    "DatasetRows",
    "School",
    "Territory",
    "TerritoryRef",
    "explore_url",
    "parents",
    "territory",
]
