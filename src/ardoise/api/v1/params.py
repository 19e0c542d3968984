"""The v1 query parameters as FastAPI reads them (declared once, described in French for
the OpenAPI spec), and the dependencies that collect them for the routes.

Values are collected as received; the routes check them in the portal's order (dataset,
paging, time zone, then the filters through ``ardoise.query.v1``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from ardoise.api import params as P
from ardoise.odsql.errors import InvalidParameter
from ardoise.odsql.schema import Schema
from ardoise.query import v1
from ardoise.query.model import RecordsQuery

Dataset = Annotated[str | None, Query(description="Identifiant du jeu de données.")]
DatasetId = Annotated[str | None, Query(description="Ancien nom du paramètre `dataset`.")]
Q = Annotated[
    str | None,
    Query(
        description="Recherche plein texte (`mot`, `champ:valeur`, "
        "`champ>=valeur`, `champ:[a TO b]`, AND/OR/NOT)."
    ),
]
Rows = Annotated[str | None, Query(description="Nombre d'enregistrements (défaut 10, ≤ 10 000).")]
Start = Annotated[
    str | None, Query(description="Rang du premier enregistrement (start + rows ≤ 10 000).")
]
Sort = Annotated[
    list[str] | None, Query(description="Champ de tri : `champ` décroissant, `-champ` croissant.")
]
Facet = Annotated[
    list[str] | None, Query(description="Champ dont compter les valeurs (répétable).")
]
Timezone = Annotated[str | None, Query(description="Fuseau des dates (ex. Europe/Paris).")]
Lang = Annotated[str | None, Query(description="Langue (fr, en).")]
GeoDistance = Annotated[
    str | None,
    Query(
        alias="geofilter.distance", description="Cercle `latitude,longitude,distance en mètres`."
    ),
]
GeoPolygon = Annotated[
    str | None,
    Query(
        alias="geofilter.polygon", description="Polygone `(lat1,lon1),(lat2,lon2),(lat3,lon3)…`."
    ),
]
Format = Annotated[
    str | None, Query(description="Format : csv (défaut), json, jsonl, geojson, parquet, xlsx.")
]
Bool = Annotated[str | None, Query(description="true ou false.")]
Separator = Annotated[str | None, Query(description="Séparateur CSV (défaut `;`).")]


def prefixed(request: Request, prefix: str) -> dict[str, list[str]]:
    """``refine.FIELD=value`` parameters → ``{FIELD: [values…]}`` (repeatable, ordered)."""
    out: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith(prefix) and len(key) > len(prefix):
            out.setdefault(key[len(prefix) :], []).append(value)
    return out


def dataset_param(dataset: Dataset = None, datasetid: DatasetId = None) -> str:
    name = dataset or datasetid
    if not name:
        raise InvalidParameter(
            "Paramètre dataset manquant : indiquez l'identifiant du jeu de données "
            "(ex. dataset=fr-en-calendrier-scolaire)."
        )
    return name


@dataclass(frozen=True)
class RecordsFilters:
    """What every v1 records endpoint filters on, as received."""

    q: str | None
    sort: list[str] | None
    timezone: str | None
    lang: str | None
    distance: str | None
    polygon: str | None
    refine: Mapping[str, list[str]]
    exclude: Mapping[str, list[str]]

    def query(self, schema: Schema) -> RecordsQuery:
        """The checked filters (time zone first) as a RecordsQuery on ``schema``."""
        P.zone(self.timezone)
        return v1.records_query(
            schema,
            q=self.q,
            sort=self.sort,
            refine=self.refine,
            exclude=self.exclude,
            distance=self.distance,
            polygon=self.polygon,
            lang=self.lang,
            timezone=self.timezone,
        )


def records_filters(
    request: Request,
    q: Q = None,
    sort: Sort = None,
    timezone: Timezone = None,
    lang: Lang = None,
    geofilter_distance: GeoDistance = None,
    geofilter_polygon: GeoPolygon = None,
) -> RecordsFilters:
    return RecordsFilters(
        q,
        sort,
        timezone,
        lang,
        geofilter_distance,
        geofilter_polygon,
        prefixed(request, "refine."),
        prefixed(request, "exclude."),
    )


@dataclass(frozen=True)
class DownloadFile:
    """The file options of the v1 downloads, as received."""

    format: Format = None
    rows: Rows = None
    use_labels_for_header: Bool = None
    csv_separator: Separator = None
    delimiter: Separator = None
    with_bom: Bool = None


def pairs(values: Mapping[str, Sequence[str]]) -> list[str]:
    """``{field: [values…]}`` → ``field:value`` texts, as Explore's ``refine`` reads them."""
    return [f"{k}:{v}" for k, vs in values.items() for v in vs]


DatasetParam = Annotated[str, Depends(dataset_param)]
Filters = Annotated[RecordsFilters, Depends(records_filters)]
Download = Annotated[DownloadFile, Depends()]
