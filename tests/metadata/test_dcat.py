"""DCAT-AP catalogue: parses as RDF in each serialisation; DCAT-AP mandatory and recommended
properties hold for the catalogue, every dataset and every distribution (SPARQL)."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS

from ardoise.settings import Settings

# rdflib's JSON-LD parser (tests only) builds a ConjunctiveGraph, deprecated in rdflib 7.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
V21 = "/api/explore/v2.1/catalog/exports"
PREFIXES = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX vcard: <http://www.w3.org/2006/vcard/ns#>
"""
# (what, SPARQL selecting the subjects that break the rule)
RULES: list[tuple[str, str]] = [
    (
        "catalogue sans titre, description, éditeur nommé ou jeu",
        """
        SELECT ?c WHERE { ?c a dcat:Catalog .
          FILTER NOT EXISTS { ?c dct:title ?t . ?c dct:description ?d .
                              ?c dct:publisher ?p . ?p foaf:name ?n . ?c dcat:dataset ?ds } }""",
    ),
    *[
        (
            f"jeu sans {prop}",
            f"""
        SELECT ?d WHERE {{ ?d a dcat:Dataset . FILTER NOT EXISTS {{ ?d {prop} ?v }} }}""",
        )
        for prop in (
            "dct:title",
            "dct:description",
            "dct:identifier",
            "dcat:keyword",
            "dcat:theme",
            "dct:license",
            "dct:spatial",
            "dct:modified",
            "dcat:distribution",
            "dct:language",
            "dcat:landingPage",
        )
    ],
    (
        "jeu sans éditeur nommé",
        """
        SELECT ?d WHERE { ?d a dcat:Dataset .
          FILTER NOT EXISTS { ?d dct:publisher ?p . ?p foaf:name ?n } }""",
    ),
    (
        "jeu sans point de contact vcard",
        """
        SELECT ?d WHERE { ?d a dcat:Dataset .
          FILTER NOT EXISTS { ?d dcat:contactPoint ?c . ?c vcard:fn ?n } }""",
    ),
    (
        "jeu non rattaché au catalogue",
        """
        SELECT ?d WHERE { ?d a dcat:Dataset . FILTER NOT EXISTS { ?c dcat:dataset ?d } }""",
    ),
    (
        "période sans début ou fin, ou à l'envers",
        """
        SELECT ?d WHERE { ?d dct:temporal ?t .
          OPTIONAL { ?t dcat:startDate ?s } OPTIONAL { ?t dcat:endDate ?e }
          FILTER (!BOUND(?s) || !BOUND(?e) || ?s > ?e) }""",
    ),
    *[
        (
            f"distribution sans {prop}",
            f"""
        SELECT ?x WHERE {{ ?x a dcat:Distribution . FILTER NOT EXISTS {{ ?x {prop} ?v }} }}""",
        )
        for prop in (
            "dcat:accessURL",
            "dcat:downloadURL",
            "dcat:mediaType",
            "dct:format",
            "dct:license",
            "dct:title",
            "dct:description",
        )
    ],
    (
        "distribution d'aucun jeu",
        """
        SELECT ?x WHERE { ?x a dcat:Distribution .
          FILTER NOT EXISTS { ?d dcat:distribution ?x } }""",
    ),
]


def violations(graph: Graph) -> list[str]:
    out = []
    for what, query in RULES:
        rows = list(graph.query(PREFIXES + query))
        out += [f"{what}: {row[0]}" for row in rows]
    return out


@pytest.fixture(scope="module")
def turtle(client: Any) -> Graph:
    response = client.get(f"{V21}/ttl")
    assert response.status_code == 200
    return Graph().parse(data=response.content, format="turtle")


@pytest.mark.parametrize(
    ("path", "media_type", "rdf_format"),
    [
        (f"{V21}/dcat", "application/rdf+xml", "xml"),
        (f"{V21}/dcat?format=xml", "application/rdf+xml", "xml"),
        (f"{V21}/rdf", "application/rdf+xml", "xml"),
        (f"{V21}/dcat?format=turtle", "text/turtle", "turtle"),
        (f"{V21}/ttl", "text/turtle", "turtle"),
        (f"{V21}/dcat?format=jsonld", "application/ld+json", "json-ld"),
        ("/api/explore/v2.0/catalog/exports/jsonld", "application/ld+json", "json-ld"),
        ("/api/v2/catalog/exports/dcat", "application/rdf+xml", "xml"),
    ],
)
def test_each_serialisation_parses_and_holds_dcat_ap(
    client: Any, path: str, media_type: str, rdf_format: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    graph = Graph().parse(data=response.content, format=rdf_format)
    assert violations(graph) == []
    assert len(list(graph.subjects(None, DCAT.Dataset))) > 0


def test_every_served_dataset_is_in_the_catalogue(
    client: Any, turtle: Graph, meta_settings: Settings
) -> None:
    served = {
        d["dataset_id"]
        for d in client.get("/api/explore/v2.1/catalog/datasets?limit=100").json()["results"]
    }
    ids = {
        str(o)
        for s in turtle.subjects(None, DCAT.Dataset)
        for o in turtle.objects(s, DCTERMS.identifier)
    }
    assert served and ids == served


def test_the_rules_can_fail(turtle: Graph) -> None:
    broken = Graph()
    for triple in turtle:
        broken.add(triple)
    dist = next(iter(broken.subjects(None, DCAT.Distribution)))
    broken.remove((dist, DCAT.accessURL, None))
    dataset = next(iter(broken.subjects(None, DCAT.Dataset)))
    broken.remove((dataset, DCTERMS.title, None))
    found = violations(broken)
    assert any(v.startswith("distribution sans dcat:accessURL") for v in found)
    assert any(v.startswith("jeu sans dct:title") for v in found)


def test_download_urls_answer(client: Any, turtle: Graph) -> None:
    urls = {str(u) for u in turtle.objects(None, DCAT.downloadURL)}
    assert urls
    for url in sorted(urls):
        assert isinstance(url, str) and url.startswith("http://testserver/")
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, (url, response.text[:200])


def test_media_types_match_the_export_responses(client: Any, turtle: Graph) -> None:
    for dist in turtle.subjects(None, DCAT.Distribution):
        url = str(next(turtle.objects(dist, DCAT.downloadURL)))
        media = str(next(turtle.objects(dist, DCAT.mediaType))).rsplit("media-types/", 1)[1]
        got = client.get(url.removeprefix("http://testserver")).headers["content-type"]
        assert got.split(";")[0] == media


def test_unknown_format_is_a_clear_400(client: Any) -> None:
    response = client.get(f"{V21}/dcat?format=pdf")
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "InvalidRESTParameterError"
    assert "Format DCAT inconnu" in body["message"] and "turtle" in body["message"]


def test_catalogue_uri_and_licence(turtle: Graph) -> None:
    catalog = next(iter(turtle.subjects(None, DCAT.Catalog)))
    assert catalog == URIRef(f"http://testserver{V21}/dcat")
    licences = set(turtle.objects(None, DCTERMS.license))
    assert URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/") in licences


def test_every_real_descriptor_holds_dcat_ap() -> None:
    """The graph function over the whole real catalogue (no release needed)."""
    from ardoise.catalog.dcat import CatalogEntry, catalog_graph, serialise
    from ardoise.catalog.loader import load_catalog

    entries = [CatalogEntry(d, 10) for d in load_catalog()]
    graph = catalog_graph(
        entries,
        base_url="https://ardoise.example/",
        release_id="r1",
        modified="2026-01-01T00:00:00+00:00",
    )
    assert violations(graph) == []
    assert len(list(graph.subjects(None, DCAT.Dataset))) == len(entries)
    body, media_type = serialise(graph, "ttl")
    assert media_type == "text/turtle"
    assert len(Graph().parse(data=body, format="turtle")) == len(graph)
