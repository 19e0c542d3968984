"""What an answer was, from its method, path and status: surface, dataset and detail.

Surfaces (the values of the ``surface`` column of ``ardoise-usages``):

- ``records``: Explore records (v2.1, v2.0, /api/v2), one record or a page of them;
- ``export``: Explore exports, detail = the format (csv, json, parquet…);
- ``catalogue``: the catalogue and a dataset's metadata (Explore, DCAT, datapackage);
- ``v1``: the portal's historical API (/api/records/1.0, /api/datasets/1.0, download links);
- ``indicateurs`` and ``territoires``: the indicator and territory API (/api/v1);
- ``page``: dashboard pages, detail = the page type (accueil, jeu, territoire…);
- ``mcp``: the MCP server, detail = the tool called;
- ``scolarite``: the enrolment-check API, detail = the outcome (trouve, non_trouve…).

>>> classify("GET", "/api/explore/v2.1/catalog/datasets/ips-ecoles/records", 200)
Hit(surface='records', dataset='ips-ecoles', detail='')
>>> classify("GET", "/api/explore/v2.1/catalog/datasets/ips-ecoles/exports/csv", 200)
Hit(surface='export', dataset='ips-ecoles', detail='csv')
>>> classify("GET", "/donnees/ips-ecoles", 200)
Hit(surface='page', dataset='ips-ecoles', detail='jeu')
>>> classify("GET", "/v3/men/scolarites/eleve", 404)
Hit(surface='scolarite', dataset='', detail='non_trouve')
>>> classify("GET", "/static/app.css", 200) is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class Hit:
    """One answer's coordinates in ``ardoise-usages`` (never who asked)."""

    surface: str
    dataset: str = ""
    detail: str = ""


_EXPLORE = re.compile(r"^/api/(?:explore/v2\.[01]|v2)/catalog/(.*)$")
_DATASET = re.compile(
    r"^datasets/([^/]+)(?:/(records|exports|attachments|facets)(?:/([^/]+))?)?/?$"
)
_V1_DATASET = re.compile(r"^/api/datasets/1\.0/([^/]+)/?$")
_PORTAL_DOWNLOAD = re.compile(r"^/explore/dataset/([^/]+)/download/?$")
_PAGES = (  # path prefix → page type (the dashboard's routes)
    ("/donnees/", "jeu"),
    ("/donnees", "catalogue"),
    ("/territoires/", "territoire"),
    ("/etablissements/", "etablissement"),
    ("/indicateurs/", "indicateur"),
    ("/qualite", "qualite"),
    ("/a-propos", "a_propos"),
    ("/recherche", "recherche"),
    ("/usages", "usages"),
    ("/statut", "statut"),
    ("/graphiques/", "accueil"),
    ("/index.json", "accueil"),
)
_ENROLMENT = ("/v3/men/", "/v4/men/", "/v5/men/")
_OUTCOMES = {200: "trouve", 404: "non_trouve", 401: "non_autorise", 403: "non_autorise"}


def classify(method: str, path: str, status: int) -> Hit | None:
    """The answer's surface, dataset and detail; None for what is not counted (static
    assets, probes, metrics, documentation)."""
    return with_status(route_of(method, path), status)


def route_family(method: str, path: str, status: int) -> str:
    """The family of routes an answer belongs to, for metrics and logs: its surface, or
    ``service`` for what usage does not count.

    >>> route_family("GET", "/api/v1/indicateurs", 200), route_family("GET", "/health", 200)
    ('indicateurs', 'service')
    """
    hit = classify(method, path, status)
    return hit.surface if hit else "service"


def route_of(method: str, path: str) -> Hit | None:
    """What the request names, before its status is known (a function of method and path
    only, so the middleware can remember it)."""
    if path.startswith("/api/"):
        return _api(path) if method in ("GET", "HEAD") else None
    if path == "/mcp" or path.startswith("/mcp/"):
        return Hit("mcp")
    if path.startswith(_ENROLMENT):
        return Hit("scolarite")
    if method not in ("GET", "HEAD"):
        return None
    match = _PORTAL_DOWNLOAD.match(path)
    if match:
        return Hit("v1", unquote(match.group(1)), "download")
    return _page(path)


def with_status(hit: Hit | None, status: int) -> Hit | None:
    """The enrolment outcome is the status; a refused answer names no dataset (the name
    came from the client)."""
    if hit is None:
        return None
    if hit.surface == "scolarite":
        return Hit("scolarite", "", enrolment_outcome(status))
    if status >= 400 and hit.dataset:
        return Hit(hit.surface, "", hit.detail)
    return hit


def enrolment_outcome(status: int) -> str:
    """An enrolment check's outcome from its status (the answer's body is never read)."""
    if status in _OUTCOMES:
        return _OUTCOMES[status]
    return "erreur" if status >= 500 else ("refuse" if status >= 400 else "autre")


def _api(path: str) -> Hit | None:
    match = _EXPLORE.match(path)
    if match:
        return _explore(match.group(1))
    if path.startswith("/api/records/1.0/"):
        kind = path.removeprefix("/api/records/1.0/").strip("/")
        return Hit("v1", "", kind)  # the dataset is a query parameter: read by the counter
    if path.startswith("/api/datasets/1.0/"):
        match = _V1_DATASET.match(path)
        name = unquote(match.group(1)) if match else ""
        return Hit("v1", "", "search") if name == "search" else Hit("v1", name, "dataset")
    if path.startswith("/api/v1/indicateurs"):
        return Hit("indicateurs")
    if path.startswith(("/api/v1/territoires", "/api/v1/etablissements", "/api/v1/couverture")):
        return Hit("territoires")
    if path.startswith("/api/v1/datapackage"):
        return Hit("catalogue", "", "datapackage")
    return None


def _explore(rest: str) -> Hit:
    match = _DATASET.match(rest)
    if not match:
        if rest.startswith("exports/"):
            return Hit("catalogue", "", rest.removeprefix("exports/").strip("/"))
        return Hit("catalogue")
    dataset, kind, arg = unquote(match.group(1)), match.group(2), match.group(3)
    if kind == "records":
        return Hit("records", dataset)
    if kind == "exports":
        return Hit("export", dataset, arg or "")
    return Hit("catalogue", dataset, kind or "")


def _page(path: str) -> Hit | None:
    if path in ("/", ""):
        return Hit("page", "", "accueil")
    for prefix, kind in _PAGES:
        if path.startswith(prefix):
            dataset = path.removeprefix("/donnees/").split("/")[0] if kind == "jeu" else ""
            return Hit("page", unquote(dataset.removesuffix(".md").removesuffix(".json")), kind)
    return None
