"""Values of the territorial referential (frozen dataclasses), shared by build and load.

Codes are strings everywhere: INSEE style for communes, départements ("01", "2A", "974")
and régions ("84", COM: "975"); education nomenclature for académies ("10") and régions
académiques ("01"). The levels themselves (with the région académique of
``territory_codes.parquet``) are the table of :mod:`ardoise.referential.levels`.
"""

from __future__ import annotations

from dataclasses import dataclass

COMMUNE_TYPES: tuple[str, ...] = (
    "commune-actuelle",
    "commune-deleguee",
    "commune-associee",
    "arrondissement-municipal",
)
ZONES: tuple[str, ...] = ("metro", "drom", "com")


@dataclass(frozen=True)
class Region:
    code: str
    nom: str
    zone: str
    chef_lieu: str
    population: int | None


@dataclass(frozen=True)
class Departement:
    code: str
    nom: str
    region: str
    academie: str | None  # None for the TAAF (984) and Clipperton (989)
    zone: str
    chef_lieu: str
    population: int | None


@dataclass(frozen=True)
class RegionAcademique:
    code: str
    nom: str
    region: str  # the INSEE région with the same territory
    alias: tuple[str, ...] = ()


@dataclass(frozen=True)
class Academie:
    code: str
    nom: str
    region_academique: str | None  # None for the vice-rectorats of the COM
    region_academique_nom: str | None
    region: str  # INSEE région (COM code for the COM)
    departements: tuple[str, ...]
    alias: tuple[str, ...] = ()
    ancienne: bool = False
    remplacee_par: str | None = None


@dataclass(frozen=True)
class Commune:
    code: str
    nom: str
    type: str  # one of COMMUNE_TYPES
    departement: str
    region: str
    academie: str | None
    population: int | None
    commune_parente: str | None  # the current commune of a déléguée/associée/arrondissement
    codes_postaux: tuple[str, ...]


@dataclass(frozen=True)
class TerritoryCode:
    """One row of territory_codes.parquet: a key seen in data → the referential code."""

    niveau: str
    cle: str
    code: str
