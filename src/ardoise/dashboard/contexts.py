"""Typed page contexts: what each page draws, as frozen dataclasses.

A template reads one of these; its JSON twin (``.json`` or ``Accept: application/json``) is
the same object turned into JSON by ``twin()``, so the page and its twin cannot disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Source:
    """A source dataset of a figure, in the release being served."""

    dataset_id: str
    titre: str
    url: str  # its page on the dashboard


@dataclass(frozen=True)
class Table:
    """A DSFR table: the alternative of a chart, and its CSV download, row for row."""

    caption: str
    keys: tuple[str, ...]  # keys of each row, in column order
    headers: tuple[str, ...]  # French column headers
    rows: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class GeoRef:
    """The contours a map draws: ``/api/v1/geo/{niveau}.topojson[?parent=…]``."""

    niveau: str
    parent: tuple[str, str] | None
    url: str
    feature: str  # the TopoJSON object


@dataclass(frozen=True)
class Chart:
    id: str  # unique in its page: carte, evolution, distribution, comparaison
    kind: str  # a key of charts.CHARTS
    titre: str
    resume: str  # one sentence saying what the chart shows (text alternative)
    sources: tuple[Source, ...]
    release: str
    date: str  # of the release
    table: Table  # exactly the plotted data
    spec: dict[str, Any]  # Vega-Lite
    telechargements: dict[str, str]  # csv, svg, png → URL
    manquants: int = 0  # values drawn as missing (grey, labelled), never as zero
    geo: GeoRef | None = None


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class Filter:
    """One control of a GET form: the page's URL carries its value."""

    name: str
    label: str
    options: tuple[Option, ...]

    @property
    def value(self) -> str | None:
        return next((o.value for o in self.options if o.selected), None)


@dataclass(frozen=True)
class Figure:
    """One key figure: an indicator's value for a territory and a year, with its source."""

    indicateur: str
    titre: str
    valeur: float | None
    texte: str  # the value written in French with its unit, or "sans valeur"
    unite: str
    annee: str
    statut: str
    sources: tuple[str, ...]
    url: str  # the indicator's page


@dataclass(frozen=True)
class Page:
    """What every page has: title, breadcrumb, the release served, its JSON twin."""

    titre: str
    description: str
    chemin: str  # path and query of the page
    fil: tuple[Link, ...]  # breadcrumb, home first, the page itself excluded
    release: str
    release_date: str
    json_url: str


@dataclass(frozen=True)
class Theme:
    id: str
    libelle: str
    indicateurs: tuple[Link, ...]


@dataclass(frozen=True)
class IndicatorsPage:
    page: Page
    themes: tuple[Theme, ...]


@dataclass(frozen=True)
class HomePage:
    page: Page
    chiffres: tuple[Figure, ...]
    filtres: tuple[Filter, ...]
    charts: tuple[Chart, ...]
    themes: tuple[Theme, ...]


@dataclass(frozen=True)
class Comparison:
    """One indicator of a territory beside the same indicator for each parent and France."""

    indicateur: str
    titre: str
    annee: str
    unite: str
    valeurs: tuple[Figure, ...]  # the territory first, then its parents up to France
    noms: tuple[str, ...]  # the territory's and its parents' names, same order


@dataclass(frozen=True)
class SchoolItem:
    uai: str
    nom: str
    type: str | None
    secteur: str | None
    commune: str | None
    url: str


@dataclass(frozen=True)
class Absence:
    """Why the indicator shown has no value here, and links to where it has one."""

    texte: str
    ailleurs: tuple[Link, ...]  # the years with a value, then the parents with one


@dataclass(frozen=True)
class TerritoryPage:
    page: Page
    niveau: str
    code: str
    nom: str
    libelle: str
    population: int | None
    parents: tuple[Link, ...]
    enfants: dict[str, int]
    filtres: tuple[Filter, ...]
    comparaisons: tuple[Comparison, ...]
    charts: tuple[Chart, ...]
    etablissements: tuple[SchoolItem, ...]
    etablissements_total: int
    jeux: tuple[Link, ...]
    sous_territoires: tuple[Link, ...]  # the hierarchy: its children, to go down
    # the schools listed: filters (type, sector), counts per type, how many chosen, pages
    etablissements_filtres: tuple[Filter, ...] = ()
    etablissements_comptes: tuple[Link, ...] = ()
    etablissements_choisis: int = 0
    etablissements_pagination: Pager | None = None
    absence: Absence | None = None  # the indicator shown has no value here: why, and where


@dataclass(frozen=True)
class SeriesTable:
    """The rows of one dataset for a school, as a table; the years without a row said."""

    dataset_id: str
    titre: str
    table: Table
    annees_sans_ligne: tuple[str, ...]
    url: str


@dataclass(frozen=True)
class SchoolPage:
    page: Page
    uai: str
    nom: str
    identite: tuple[tuple[str, str], ...]  # (label, value) pairs, French
    localisation: dict[str, float] | None
    parents: tuple[Link, ...]
    filtres: tuple[Filter, ...]
    comparaisons: tuple[Comparison, ...]
    charts: tuple[Chart, ...]
    series: tuple[SeriesTable, ...]
    manquants: tuple[str, ...]  # what is missing, in French sentences
    semblables: FairComparison | None = None  # against schools of similar IPS
    chronologie: Table | None = None  # year by year: sources, identity, events (#18)


@dataclass(frozen=True)
class FairComparison:
    """A school against the schools of the same type and sector with a similar IPS."""

    groupe: str  # French: who the group is
    explication: str  # French: why raw rankings mislead
    table: Table  # indicator, this school, the group's mean, members, gap


@dataclass(frozen=True)
class IndicatorPage:
    page: Page
    id: str
    titre: str
    description: str
    methode: str | None
    formule: str
    unite: str
    precautions: tuple[str, ...]
    sources: tuple[Source, ...]
    filtres: tuple[Filter, ...]
    charts: tuple[Chart, ...]
    table: Table  # at most the first rows (by code)
    valeurs_total: int
    valeurs_url: str  # every value, from the API
    comment_lire: tuple[str, ...] = ()  # « Comment lire ces chiffres », plain French


@dataclass(frozen=True)
class DatasetItem:
    id: str
    titre: str
    description: str
    producteur: str
    lignes: int
    themes: tuple[str, ...]
    url: str


@dataclass(frozen=True)
class CatalogPage:
    page: Page
    filtres: tuple[Filter, ...]
    jeux: tuple[DatasetItem, ...]
    total: int


@dataclass(frozen=True)
class FieldInfo:
    nom: str
    libelle: str
    type: str
    description: str
    unite: str | None


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    taille: int
    precedente: str | None
    suivante: str | None


@dataclass(frozen=True)
class ApiExample:
    langage: str
    code: str


@dataclass(frozen=True)
class DatasetPage:
    page: Page
    id: str
    titre: str
    description: str
    producteur: str
    licence: str
    source: str
    frequence: str | None
    couverture_temporelle: str
    couverture_spatiale: str
    lignes: int
    champs: tuple[FieldInfo, ...]
    qualite: dict[str, Any]
    filtres: tuple[Filter, ...]
    table: Table
    pagination: Pager
    telechargements: tuple[Link, ...]
    exemples: tuple[ApiExample, ...]
    jsonld: dict[str, Any] | None = None


@dataclass(frozen=True)
class QualityRow:
    dataset_id: str
    titre: str
    statut: str
    lignes: int
    erreurs: int
    avertissements: int
    url: str


@dataclass(frozen=True)
class GapRow:
    indicateur: str
    titre: str
    annees: tuple[str, ...]
    manques: str  # French summary of the coverage gaps


@dataclass(frozen=True)
class QualityPage:
    page: Page
    jeux: tuple[QualityRow, ...]
    lacunes: tuple[GapRow, ...]


@dataclass(frozen=True)
class ReleaseItem:
    id: str
    date: str
    jeux: int
    lignes: int
    servie: bool


@dataclass(frozen=True)
class AboutPage:
    page: Page
    releases: tuple[ReleaseItem, ...]
    licences: tuple[str, ...]


@dataclass(frozen=True)
class SearchPage:
    page: Page
    q: str
    resultats: tuple[Link, ...]


@dataclass(frozen=True)
class ErrorPage:
    page: Page
    statut: int
    message: str
    suggestions: tuple[Link, ...] = field(default_factory=tuple)


def twin(context: Any) -> dict[str, Any]:
    """The JSON twin of a page: the context itself, as plain JSON values."""
    data: dict[str, Any] = asdict(context)
    return data
