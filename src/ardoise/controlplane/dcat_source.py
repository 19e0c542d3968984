"""A dataset described in a DCAT catalogue (issue #15): DCAT-AP as data.gouv.fr, udata,
CKAN and Ardoise itself publish it, in JSON-LD, RDF/XML or Turtle. The catalogue is fetched
by :func:`ardoise.controlplane.fetch.fetch` (same limits and address checks as any URL),
parsed with rdflib, and :func:`distribution_url` picks, among the distributions of the
dataset whose ``dct:identifier`` (or IRI) is asked, the one in the format the dataset's
descriptor expects (its ``dcat:downloadURL``, else ``dcat:accessURL``).

A JSON-LD document naming a remote ``@context`` is refused: rdflib would fetch it, a
request to an address nobody checked. An RDF/XML document with a DOCTYPE or ENTITY
declaration is refused (external entities, entity expansion).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF
from rdflib.term import Node

from ardoise.controlplane.errors import ControlPlaneError

# expected suffix → what a distribution's media type, format or URL says for it
HINTS: dict[str, tuple[str, ...]] = {
    ".csv": ("text/csv", "/csv", ".csv"),
    ".parquet": ("parquet",),
    ".xlsx": ("spreadsheetml", "/xlsx", ".xlsx"),
    ".geojson": ("geo+json", "geojson"),
}


def _remote_context(value: Any) -> bool:
    if isinstance(value, dict):
        context = value.get("@context")
        if isinstance(context, str) or (
            isinstance(context, list) and any(isinstance(c, str) for c in context)
        ):
            return True
        return any(_remote_context(v) for v in value.values())
    if isinstance(value, list):
        return any(_remote_context(v) for v in value)
    return False


def _format_of(data: bytes) -> str:
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return "json-ld"
    if head == b"<":
        return "xml"
    return "turtle"


def read_catalogue(path: Path) -> Graph:
    """The graph of the catalogue document at ``path``; a French error if unreadable."""
    data = path.read_bytes()
    fmt = _format_of(data)
    if fmt == "json-ld":
        try:
            doc = json.loads(data)
        except ValueError:
            raise ControlPlaneError("Catalogue DCAT illisible : JSON invalide.") from None
        if _remote_context(doc):
            raise ControlPlaneError(
                "Catalogue DCAT refusé : un @context JSON-LD distant n'est pas pris en charge "
                "(contexte en ligne seulement)."
            )
    if fmt == "xml" and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):
        raise ControlPlaneError(
            "Catalogue DCAT refusé : les déclarations DOCTYPE et ENTITY ne sont pas admises."
        )
    graph = Graph()
    try:
        with warnings.catch_warnings():  # rdflib's JSON-LD parser warns about its own internals
            warnings.simplefilter("ignore", DeprecationWarning)
            graph.parse(data=data, format=fmt)
    except Exception as exc:  # rdflib raises many kinds for a malformed document
        raise ControlPlaneError(
            f"Catalogue DCAT illisible ({fmt}) : {type(exc).__name__}."
        ) from None
    return graph


def _datasets(graph: Graph, identifier: str) -> Iterator[Node]:
    for node in graph.subjects(RDF.type, DCAT.Dataset):
        ids = {str(i) for i in graph.objects(node, DCTERMS.identifier)}
        if identifier in ids or str(node) == identifier:
            yield node


def _hints(graph: Graph, dist: Node) -> str:
    values = [
        *graph.objects(dist, DCAT.downloadURL),
        *graph.objects(dist, DCAT.accessURL),
        *graph.objects(dist, DCAT.mediaType),
        *graph.objects(dist, DCTERMS["format"]),
    ]
    for fmt in graph.objects(dist, DCTERMS["format"]):  # a labelled format node
        values += list(graph.objects(fmt, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    return " ".join(str(v).lower().split("?", 1)[0] for v in values)


def distribution_url(graph: Graph, identifier: str, suffix: str) -> str:
    """The URL of the distribution of ``identifier`` in the format of ``suffix``."""
    found = list(_datasets(graph, identifier))
    if not found:
        raise ControlPlaneError(
            f"Jeu « {identifier} » absent du catalogue DCAT (ni dct:identifier ni IRI)."
        )
    wanted = HINTS.get(suffix.lower(), (suffix.lower().lstrip("."),))
    for dist in sorted(graph.objects(found[0], DCAT.distribution), key=str):
        hints = _hints(graph, dist)
        if not any(w in hints for w in wanted):
            continue
        for prop in (DCAT.downloadURL, DCAT.accessURL):
            url = next(iter(graph.objects(dist, prop)), None)
            if url is not None:
                return str(url)
    raise ControlPlaneError(
        f"Le jeu « {identifier} » du catalogue DCAT n'a pas de distribution au format "
        f"{suffix.lstrip('.').upper()}."
    )
