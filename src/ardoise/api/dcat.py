"""The DCAT-AP catalogue export (``/catalog/exports/dcat`` under each Explore prefix).

Serialisation by path (``/exports/dcat`` RDF/XML like Opendatasoft, ``/exports/rdf``,
``/exports/ttl``, ``/exports/jsonld``) or by the ``format`` parameter of ``/exports/dcat``
(``xml``, ``rdf``, ``turtle``, ``ttl``, ``jsonld``). The graph comes from
``ardoise.catalog.dcat``; this module only reads parameters and sends bytes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ardoise.api.deps import CurrentRelease
from ardoise.api.documents import Document, document
from ardoise.api.media import answers
from ardoise.catalog.dcat import FORMATS, CatalogEntry, catalog_graph, serialise
from ardoise.odsql.errors import InvalidParameter
from ardoise.query.release import ServedRelease

# Path segment under /catalog/exports → serialisation (None: from the ``format`` parameter).
PATHS: dict[str, str | None] = {"dcat": None, "rdf": "rdf", "ttl": "ttl", "jsonld": "jsonld"}
DEFAULT_FORMAT = "rdf"

Format = Annotated[
    str | None,
    Query(description=("Sérialisation : xml ou rdf (RDF/XML, par défaut), turtle ou ttl, jsonld.")),
]


def dcat_document(release: ServedRelease, base_url: str, fmt: str) -> Document:
    """The release's DCAT-AP catalogue in ``fmt``, and its media type."""
    entries = [CatalogEntry(v.dataset, v.rows) for v in release.datasets.values()]
    graph = catalog_graph(
        entries, base_url=base_url, release_id=release.id, modified=release.created_at
    )
    return serialise(graph, fmt)


def _format(raw: str | None) -> str:
    name = (raw or DEFAULT_FORMAT).strip().lower()
    if name not in FORMATS:
        shown = name if len(name) <= 30 else name[:30] + "…"
        raise InvalidParameter(
            f"Format DCAT inconnu : « {shown} ». Formats disponibles : xml ou rdf (RDF/XML), "
            "turtle ou ttl (Turtle), jsonld (JSON-LD)."
        )
    return name


def build_router() -> APIRouter:
    router = APIRouter(tags=["Métadonnées"])

    def add(segment: str, fixed: str | None) -> None:
        summary = (
            "Catalogue DCAT-AP (RDF/XML, Turtle ou JSON-LD)"
            if fixed is None
            else f"Catalogue DCAT-AP ({FORMATS[fixed][1]})"
        )

        @router.get(
            f"/catalog/exports/{segment}",
            summary=summary,
            response_class=Response,
            responses=answers(*(FORMATS[f][1] for f in ((fixed,) if fixed else FORMATS))),
        )
        def export(request: Request, release: CurrentRelease, format: Format = None) -> Response:
            fmt = fixed or _format(format)
            base = str(request.base_url).rstrip("/")
            body, media_type = document(
                request,
                release,
                ("dcat", base, FORMATS[fmt][0]),  # once per release, base and serialisation
                lambda: dcat_document(release, base, fmt),
            )
            return Response(body, media_type=f"{media_type}; charset=utf-8")

    for segment, fixed in PATHS.items():
        add(segment, fixed)
    return router
