"""The catalogue as a DCAT-AP graph (rdflib), harvestable by data.gouv.fr's DCAT harvester.

DCAT-AP 2/3 classes and properties (M = mandatory, R = recommended in the profile)::

    dcat:Catalog       dct:title M, dct:description M, dct:publisher M, dcat:dataset R,
                       foaf:homepage R, dct:language R, dct:license R, dct:modified R,
                       dcat:themeTaxonomy R, dcat:service
    dcat:Dataset       dct:title M, dct:description M, dcat:contactPoint R, dcat:distribution R,
                       dcat:keyword R, dct:publisher R, dct:spatial R, dct:temporal R,
                       dcat:theme R, dct:identifier, dct:modified, dct:accrualPeriodicity,
                       dct:language, dcat:landingPage, owl:versionInfo, dct:license
    dcat:Distribution  dcat:accessURL M, dct:format R, dct:license R, dct:description R,
                       dcat:downloadURL, dcat:mediaType, dct:title, dcat:accessService
    foaf:Agent         foaf:name M, dct:type R

``catalog_graph`` is pure: descriptors, row counts and release facts in, a graph out;
``serialise`` turns it into RDF/XML, Turtle or JSON-LD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD

from ardoise.catalog.downloads import download_formats
from ardoise.catalog.licence import licence_url
from ardoise.catalog.model import Dataset
from ardoise.catalog.period import coverage_period
from ardoise.catalog.schema_org import CATALOG_NAME
from ardoise.urls import Urls, portal_dataset

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SCHEMA = Namespace("http://schema.org/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
EU_EDUCATION = URIRef(EU + "data-theme/EDUC")
EU_FRENCH = URIRef(EU + "language/FRA")
EU_FRANCE = URIRef(EU + "country/FRA")
NATIONAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/NationalAuthority")
IANA = "https://www.iana.org/assignments/media-types/"

# Export format → EU file-type authority code (jsonl has none: a labelled format node).
FILE_TYPES: dict[str, str] = {
    "csv": "CSV",
    "json": "JSON",
    "geojson": "GEOJSON",
    "parquet": "PARQUET",
    "xlsx": "XLSX",
}
# Descriptor frequency (first word, lower case) → EU frequency authority code.
FREQUENCIES: dict[str, str] = {
    "annuelle": "ANNUAL",
    "quotidienne": "DAILY",
    "mensuelle": "MONTHLY",
    "hebdomadaire": "WEEKLY",
    "trimestrielle": "QUARTERLY",
    "irrégulière": "IRREG",
    "ponctuelle": "NEVER",
    "aucune": "NEVER",
}
CATALOG_DESCRIPTION = (
    "Jeux de données ouverts de l'éducation nationale (IPS, résultats aux examens, effectifs, "
    "établissements, calendrier scolaire…) publiés par Ardoise en releases vérifiées, "
    "versionnées et immuables, avec une API compatible avec data.education.gouv.fr."
)
CATALOG_PUBLISHER = "Ministère de l'Éducation nationale"

# Serialisations, by every name a client may use (path suffix or ``format`` parameter).
FORMATS: dict[str, tuple[str, str]] = {  # name → (rdflib format, media type)
    "xml": ("pretty-xml", "application/rdf+xml"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
    "rdfxml": ("pretty-xml", "application/rdf+xml"),
    "turtle": ("turtle", "text/turtle"),
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "json-ld": ("json-ld", "application/ld+json"),
}


@dataclass(frozen=True)
class CatalogEntry:
    """One published dataset: its descriptor and its row count in the release."""

    dataset: Dataset
    rows: int


def _agent(g: Graph, name: str) -> BNode:
    node = BNode()
    g.add((node, RDF.type, FOAF.Organization))
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(name)))
    g.add((node, DCTERMS.type, NATIONAL_AUTHORITY))
    return node


def _licence(g: Graph, name: str) -> URIRef | BNode:
    url = licence_url(name)
    node: URIRef | BNode = URIRef(url) if url else BNode()
    g.add((node, RDF.type, DCTERMS.LicenseDocument))
    g.add((node, RDFS.label, Literal(name)))
    return node


def _date(value: str) -> Literal:
    return Literal(value[:10], datatype=XSD.date)


def _stamp(value: str) -> Literal:
    return Literal(value, datatype=XSD.dateTime) if "T" in value else _date(value)


def _temporal(g: Graph, ds: Dataset) -> BNode | None:
    period = coverage_period(ds.temporal_coverage)
    if period is None:
        return None
    node = BNode()
    g.add((node, RDF.type, DCTERMS.PeriodOfTime))
    for prop in (DCAT.startDate, SCHEMA.startDate):
        g.add((node, prop, Literal(period.start.isoformat(), datatype=XSD.date)))
    for prop in (DCAT.endDate, SCHEMA.endDate):
        g.add((node, prop, Literal(period.end.isoformat(), datatype=XSD.date)))
    return node


def _spatial(g: Graph, ds: Dataset) -> list[URIRef | BNode]:
    cov = ds.spatial_coverage
    if cov.national:
        return [EU_FRANCE]
    out: list[URIRef | BNode] = []
    for t in cov.territories or ():
        node = BNode()
        g.add((node, RDF.type, DCTERMS.Location))
        g.add((node, SKOS.prefLabel, Literal(t.nom, lang="fr")))
        g.add((node, DCTERMS.identifier, Literal(f"{t.niveau}:{t.code}")))
        out.append(node)
    return out


def _frequency(ds: Dataset) -> URIRef | None:
    words = ds.frequency.strip().lower().split()
    code = FREQUENCIES.get(words[0]) if words else None
    return URIRef(EU + "frequency/" + code) if code else None


def _contact(g: Graph, ds: Dataset) -> BNode:
    node = BNode()
    g.add((node, RDF.type, VCARD.Organization))
    g.add((node, VCARD.fn, Literal(ds.publisher)))
    g.add((node, VCARD.hasURL, URIRef(portal_dataset(ds.id))))
    return node


def _distributions(
    g: Graph,
    entry: CatalogEntry,
    base_url: str,
    service: URIRef,
    licence: URIRef | BNode,
    modified: str,
) -> list[URIRef]:
    ds = entry.dataset
    out = []
    for fmt in download_formats(ds):
        url = URIRef(Urls.of(base_url).export(ds.id, fmt.name))
        node = URIRef(f"{Urls.of(base_url).dataset_page(ds.id)}#distribution-{fmt.name}")
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, Literal(f"{ds.title} ({fmt.label})", lang="fr")))
        g.add(
            (
                node,
                DCTERMS.description,
                Literal(
                    f"Export complet au format {fmt.label} ({entry.rows} enregistrements), "
                    "produit à la demande par l'API Explore v2.1.",
                    lang="fr",
                ),
            )
        )
        g.add((node, DCAT.accessURL, url))
        g.add((node, DCAT.downloadURL, url))
        media = URIRef(IANA + fmt.media_type)
        g.add((media, RDF.type, DCTERMS.MediaType))
        g.add((node, DCAT.mediaType, media))
        if fmt.name in FILE_TYPES:
            g.add((node, DCTERMS["format"], URIRef(EU + "file-type/" + FILE_TYPES[fmt.name])))
        else:
            extent = BNode()
            g.add((extent, RDF.type, DCTERMS.MediaTypeOrExtent))
            g.add((extent, RDFS.label, Literal(fmt.label)))
            g.add((node, DCTERMS["format"], extent))
        g.add((node, DCTERMS.license, licence))
        g.add((node, DCTERMS.modified, _stamp(modified)))
        g.add((node, DCAT.accessService, service))
        out.append(node)
    return out


def _dataset(
    g: Graph, entry: CatalogEntry, base_url: str, release_id: str, modified: str, service: URIRef
) -> URIRef:
    ds = entry.dataset
    node = URIRef(Urls.of(base_url).dataset_page(ds.id))
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.title, Literal(ds.title, lang="fr")))
    g.add((node, DCTERMS.description, Literal(ds.description.strip(), lang="fr")))
    g.add((node, DCTERMS.identifier, Literal(ds.id)))
    g.add((node, DCTERMS.publisher, _agent(g, ds.publisher)))
    g.add((node, DCAT.contactPoint, _contact(g, ds)))
    g.add((node, DCAT.theme, EU_EDUCATION))
    for kw in dict.fromkeys((*ds.keywords, *ds.themes, "éducation")):
        g.add((node, DCAT.keyword, Literal(kw, lang="fr")))
    licence = _licence(g, ds.licence)
    g.add((node, DCTERMS.license, licence))
    temporal = _temporal(g, ds)
    if temporal is not None:
        g.add((node, DCTERMS.temporal, temporal))
    for place in _spatial(g, ds):
        g.add((node, DCTERMS.spatial, place))
    freq = _frequency(ds)
    if freq is not None:
        g.add((node, DCTERMS.accrualPeriodicity, freq))
    g.add((node, DCTERMS.modified, _stamp(modified)))
    g.add((node, DCTERMS.language, EU_FRENCH))
    g.add((node, DCAT.landingPage, node))
    g.add((node, DCTERMS.source, URIRef(portal_dataset(ds.id))))
    g.add((node, OWL.versionInfo, Literal(release_id)))
    for dist in _distributions(g, entry, base_url, service, licence, modified):
        g.add((node, DCAT.distribution, dist))
    return node


def catalog_graph(
    entries: Sequence[CatalogEntry], *, base_url: str, release_id: str, modified: str
) -> Graph:
    """The DCAT-AP catalogue of the release ``release_id`` published at ``modified``."""
    urls = Urls.of(base_url)
    base = urls.base
    g = Graph()
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("schema", SCHEMA),
        ("skos", SKOS),
        ("owl", OWL),
        ("adms", ADMS),
    ):
        g.bind(prefix, ns)
    catalog = URIRef(urls.catalog_export("dcat"))
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(CATALOG_NAME, lang="fr")))
    g.add((catalog, DCTERMS.description, Literal(CATALOG_DESCRIPTION, lang="fr")))
    g.add((catalog, DCTERMS.publisher, _agent(g, CATALOG_PUBLISHER)))
    g.add((catalog, FOAF.homepage, URIRef(urls.home())))
    g.add((catalog, DCTERMS.language, EU_FRENCH))
    g.add((catalog, DCTERMS.modified, _stamp(modified)))
    g.add((catalog, DCAT.themeTaxonomy, URIRef(EU + "data-theme")))
    g.add((catalog, OWL.versionInfo, Literal(release_id)))
    g.add((catalog, DCTERMS.spatial, EU_FRANCE))
    service = URIRef(urls.explore())
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("API Explore v2.1 d'Ardoise", lang="fr")))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.endpointDescription, URIRef(urls.openapi())))
    g.add((catalog, DCAT.service, service))
    licences = set()
    for entry in entries:
        node = _dataset(g, entry, base, release_id, modified, service)
        g.add((catalog, DCAT.dataset, node))
        g.add((service, DCAT.servesDataset, node))
        g.add((node, RDFS.seeAlso, URIRef(urls.dataset(entry.dataset.id))))
        licences.add(entry.dataset.licence)
    if len(licences) == 1:
        g.add((catalog, DCTERMS.license, _licence(g, licences.pop())))
    return g


def serialise(graph: Graph, fmt: str) -> tuple[bytes, str]:
    """The graph in ``fmt`` (a key of ``FORMATS``) and its media type."""
    rdflib_format, media_type = FORMATS[fmt]
    data = graph.serialize(format=rdflib_format, encoding="utf-8")
    return data, media_type
