"""Dataset descriptors: values that cross every layer (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

FieldType = Literal[
    "text", "int", "double", "date", "datetime", "boolean", "geo_point_2d", "geo_shape"
]
FIELD_TYPES: tuple[str, ...] = (
    "text",
    "int",
    "double",
    "date",
    "datetime",
    "boolean",
    "geo_point_2d",
    "geo_shape",
)

YearKind = Literal["rentree", "session", "annee_scolaire", "annee_civile"]
YEAR_KINDS: tuple[str, ...] = ("rentree", "session", "annee_scolaire", "annee_civile")

# Territory roles a column can play; each is linked to the referential at ingest.
TerritoryRole = Literal[
    "uai",
    "commune",
    "departement",
    "departement_nom",
    "academie",
    "academie_nom",
    "region",
    "region_nom",
    "region_academique",
]
TERRITORY_ROLES: tuple[str, ...] = get_args(TerritoryRole)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: FieldType
    description: str
    unit: str | None = None
    aliases: tuple[str, ...] = ()
    # Comma used as decimal separator, "NS" markers… are handled by type; "nullable" is informative.
    facet: bool = False
    # Why ``type`` is what it is where the raw values alone do not decide it (issue #13):
    # the type the portal declares for the field, and where that is known from. Empty: the
    # type of the values the portal's exports hold.
    type_source: str = ""


@dataclass(frozen=True)
class Source:
    path: str  # relative to the mirror directory
    description: str = ""
    sheet: str | None = None  # XLSX sheet
    header_row: int = 1  # XLSX: 1-based row of the header
    encoding: str = "utf-8"  # declared text encoding: utf-8 (BOM or not) or latin-1
    absent: tuple[str, ...] = ()  # declared fields this source does not carry (null there)
    # School years (AAAA-AAAA) this source supplies when several extracts of one dataset
    # overlap: its rows of other years are left to the other sources. Empty: every year.
    years: tuple[str, ...] = ()


@dataclass(frozen=True)
class Territory:
    niveau: str
    code: str
    nom: str


@dataclass(frozen=True)
class SpatialCoverage:
    national: bool
    description: str
    territories: tuple[Territory, ...] = ()


@dataclass(frozen=True)
class TemporalCoverage:
    kind: YearKind
    years: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class SchoolYear:
    field: str
    kind: YearKind


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    publisher: str
    licence: str
    source_url: str
    sources: tuple[Source, ...]
    fields: tuple[Field, ...]
    temporal_coverage: TemporalCoverage
    spatial_coverage: SpatialCoverage
    frequency: str
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    school_year: SchoolYear | None = None
    territories: tuple[tuple[str, str], ...] = ()  # (role, field name)
    caveats: tuple[str, ...] = ()
    # Extra strings read as "no value" (besides "", NS, ND…), e.g. "-" in a numeric column.
    null_markers: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def territory_field(self, role: str) -> str | None:
        for r, name in self.territories:
            if r == role:
                return name
        return None


@dataclass(frozen=True)
class KnownDataset:
    """A dataset the portal publishes, listed from its catalogue export, held or not."""

    id: str
    title: str
    publisher: str
    licence: str
    keywords: tuple[str, ...]
    themes: tuple[str, ...]
    modified: str
    records_count: int | None
    api_calls: int | None
    downloads: int | None
    held: bool
