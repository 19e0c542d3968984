"""FastAPI dependencies of the API routes: the release being served, and the Explore
parameters read once into the query values of ``ardoise.query``.

Each dependency declares its parameters (name, type, French description, default) once,
so the OpenAPI spec describes them on every route that takes them; the values are only
checked by the functions of ``ardoise.api.params``, in the portal's order (time zone,
limit, offset, refine, exclude, territory), whatever the route. The parameter dependencies
are ``async``: they only read text, and a sync dependency costs a hop to the threadpool.

    CurrentRelease  the ServedRelease of the request (503 when none can be served; an older
                    one for release=/date=)
    Records         RecordsQuery of /records (limit 10 by default)
    Export          RecordsQuery of /exports (every row by default)
    Filters         RecordsQuery of /facets (where, refine, exclude, lang, timezone, territoire)
    Catalog         CatalogQuery of /catalog/datasets (ODSQL, Explore caps)
    CatalogFilters  CatalogQuery of /catalog/facets (where, refine, exclude)
    ExportFile      the file options of /exports/{fmt} (delimiter, with_bom…)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ardoise.api import params as P
from ardoise.exporters.model import ExportOptions
from ardoise.query.catalog import CatalogQuery
from ardoise.query.model import RecordsQuery
from ardoise.query.release import ReleaseHolder, ServedRelease
from ardoise.query.release_archive import ReleaseArchive


def release_of(request: Request) -> ServedRelease:
    """The release of the request, from a route that runs in the threadpool."""
    holder: ReleaseHolder = request.app.state.releases
    return holder.get()


async def current_release(request: Request) -> ServedRelease:
    """The release of the request: on the event loop when it is loaded (the usual case), in
    the threadpool when ``var/current`` switched and it must be loaded; an older one when
    the request names it (``release=<id>`` or ``date=AAAA-MM-JJ``, ``query/release_archive``)."""
    params = request.query_params
    release: ServedRelease | None
    if "release" in params or "date" in params:
        release = await run_in_threadpool(_archived, request)
    else:
        holder: ReleaseHolder = request.app.state.releases
        release = holder.loaded()
        if release is None:
            release = await run_in_threadpool(holder.get)
    request.state.ardoise_release = release.id
    return release


def _archived(request: Request) -> ServedRelease:
    archive: ReleaseArchive = request.app.state.archive
    params = request.query_params
    wanted = archive.resolve(params.get("release"), params.get("date"))
    return archive.get(wanted) if wanted else archive.holder.get()


CurrentRelease = Annotated[ServedRelease, Depends(current_release)]

Select = Annotated[str | None, Query(description="Expression ODSQL `select`.")]
Where = Annotated[list[str] | None, Query(description="Filtre ODSQL (répétable, combiné par AND).")]
GroupBy = Annotated[str | None, Query(description="Expression ODSQL `group_by`.")]
OrderBy = Annotated[str | None, Query(description="Tri ODSQL (`champ desc`, `-champ`).")]
Limit = Annotated[str | None, Query(description="Nombre de résultats (≤ 100, ≤ 20 000 groupé).")]
Offset = Annotated[str | None, Query(description="Décalage (offset + limit ≤ 10 000).")]
Refine = Annotated[list[str] | None, Query(description="Facette `champ:valeur` (répétable).")]
Exclude = Annotated[list[str] | None, Query(description="Facette exclue `champ:valeur`.")]
Lang = Annotated[str | None, Query(description="Langue de formatage (fr, en).")]
Timezone = Annotated[str | None, Query(description="Fuseau des dates (ex. Europe/Paris).")]
Facet = Annotated[
    list[str] | None, Query(description="Champ dont compter les valeurs (répétable).")
]
Territoire = Annotated[
    str | None,
    Query(
        description=(
            "Extension Ardoise : lignes liées au territoire `niveau:code` (etablissement, commune, "
            "departement, academie, region, france ; ex. academie:10), quel que soit le niveau des "
            "codes du jeu."
        )
    ),
]


@dataclass(frozen=True)
class ExploreParameters:
    """The Explore records parameters as received (text), read into a RecordsQuery by
    ``query``: ``/records`` and ``/exports`` take the same ones but default ``limit``
    differently."""

    select: Select = None
    where: Where = None
    group_by: GroupBy = None
    order_by: OrderBy = None
    limit: Limit = None
    offset: Offset = None
    refine: Refine = None
    exclude: Exclude = None
    lang: Lang = None
    timezone: Timezone = None
    territoire: Territoire = None

    def query(self, default_limit: int | None) -> RecordsQuery:
        """The checked query (``limit`` is ``default_limit`` when not given)."""
        raw = {f.name: getattr(self, f.name) for f in fields(self)}
        return P.records_query(**raw, default_limit=default_limit)


def _explore_signature(
    select: Select = None,
    where: Where = None,
    group_by: GroupBy = None,
    order_by: OrderBy = None,
    limit: Limit = None,
    offset: Offset = None,
    refine: Refine = None,
    exclude: Exclude = None,
    lang: Lang = None,
    timezone: Timezone = None,
    territoire: Territoire = None,
) -> None:
    """The Explore records parameters, as FastAPI reads them: the signature of
    ``records_query`` and ``export_query``. They take it flat (one dependency, not one per
    level: FastAPI solves each level apart, about 0.3 ms of CPU each)."""


async def records_query(**raw: Any) -> RecordsQuery:
    return ExploreParameters(**raw).query(default_limit=10)


async def export_query(**raw: Any) -> RecordsQuery:
    return ExploreParameters(**raw).query(default_limit=None)


for _dependency in (records_query, export_query):
    _dependency.__signature__ = inspect.signature(_explore_signature).replace(  # type: ignore[attr-defined]
        return_annotation=RecordsQuery
    )


async def filters_query(
    where: Where = None,
    refine: Refine = None,
    exclude: Exclude = None,
    lang: Lang = None,
    timezone: Timezone = None,
    territoire: Territoire = None,
) -> RecordsQuery:
    raw = ExploreParameters(
        where=where,
        refine=refine,
        exclude=exclude,
        lang=lang,
        timezone=timezone,
        territoire=territoire,
    )
    return raw.query(default_limit=10)


async def catalog_query(
    select: Select = None,  # accepted as the portal does; the catalogue answers datasets
    where: Where = None,
    order_by: OrderBy = None,
    limit: Limit = None,
    offset: Offset = None,
    refine: Refine = None,
    exclude: Exclude = None,
    lang: Lang = None,
    timezone: Timezone = None,
) -> CatalogQuery:
    q = ExploreParameters(
        where=where,
        order_by=order_by,
        limit=limit,
        offset=offset,
        refine=refine,
        exclude=exclude,
        lang=lang,
        timezone=timezone,
    ).query(default_limit=10)
    return CatalogQuery(
        where=q.where_clauses,
        refine=q.refine,
        exclude=q.exclude,
        order_by=q.order_by,
        limit=q.limit,
        offset=q.offset,
        capped=True,
        lang=q.lang,
        timezone=q.timezone,
    )


async def catalog_filters(
    where: Where = None, refine: Refine = None, exclude: Exclude = None
) -> CatalogQuery:
    return await catalog_query(where=where, refine=refine, exclude=exclude)


Records = Annotated[RecordsQuery, Depends(records_query)]
Export = Annotated[RecordsQuery, Depends(export_query)]
Filters = Annotated[RecordsQuery, Depends(filters_query)]
Catalog = Annotated[CatalogQuery, Depends(catalog_query)]
CatalogFilters = Annotated[CatalogQuery, Depends(catalog_filters)]


@dataclass(frozen=True)
class ExportParameters:
    """The file options of ``/exports/{fmt}`` as received; ``options`` checks them."""

    delimiter: str = ";"
    list_separator: str = ","
    quote_all: str | None = None
    with_bom: str | None = None
    use_labels: str | None = None

    def options(self, dataset_id: str, timezone: str | None, *, bom: bool) -> ExportOptions:
        """``bom``: whether a CSV starts with a byte-order mark when ``with_bom`` is not given."""
        return ExportOptions(
            delimiter=self.delimiter,
            list_separator=self.list_separator,
            quote_all=P.boolean(self.quote_all, "quote_all", False),
            with_bom=P.boolean(self.with_bom, "with_bom", bom),
            use_labels=P.boolean(self.use_labels, "use_labels", False),
            timezone=str(P.zone(timezone)),
            dataset_id=dataset_id,
        )


ExportFile = Annotated[ExportParameters, Depends()]
