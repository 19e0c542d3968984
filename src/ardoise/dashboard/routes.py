"""The dashboard's routes: every page in HTML (Jinja2 + DSFR) and as its JSON twin
(``.json`` suffix or ``Accept: application/json``), chart downloads, hashed static files.

Each route calls one page builder, which calls the query layer; errors become French pages
(404 unknown territory, school, indicator or dataset; 400 bad parameter), never a 500. The
statuses and the twins' error bodies come from the app's one table (``web.errors``), passed
to :func:`build_router`: the dashboard may not import ``web``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ardoise.dashboard import (
    about,
    catalog,
    codebook,
    home,
    indicator,
    numerique,
    releases,
    school,
    sql,
    territory,
)
from ardoise.dashboard.assets import Assets, build_assets
from ardoise.dashboard.citation import citation
from ardoise.dashboard.contexts import Chart, ErrorPage, Link, Page, twin
from ardoise.dashboard.figures import NBSP, number
from ardoise.dashboard.images import IN_BROWSER, MEDIA_TYPES, chart_file, vega_spec, warm_up
from ardoise.errors import ArdoiseError, NotFound
from ardoise.french import plural
from ardoise.lru import LRU
from ardoise.query.release import ServedRelease
from ardoise.query.release_archive import ReleaseArchive
from ardoise.query.sql_run import SqlLimits
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from ardoise.urls import ROOT, serving_base

HTML_CACHE = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"
TEMPLATES = Path(__file__).resolve().parent / "templates"
Builder = Callable[[ServedRelease], Any]
StatusOf = Callable[[ArdoiseError], int]  # web.errors.status_of
ErrorBody = Callable[[ArdoiseError], dict[str, Any]]  # web.errors.error_body


Rendered = tuple[bytes, str, dict[str, str]]  # body, media type, headers


def page_cache(settings: Settings) -> LRU[Hashable, Rendered]:
    """Rendered pages of the served release: ``ARDOISE_PAGE_CACHE_ENTRIES`` pages and
    ``ARDOISE_PAGE_CACHE_MB`` of bodies at most, least recently used dropped first."""
    return LRU(
        settings.page_cache_entries, settings.page_cache_mb << 20, size=lambda page: len(page[0])
    )


class Renderer:
    def __init__(
        self, settings: Settings, assets: Assets, status_of: StatusOf, error_body: ErrorBody
    ) -> None:
        self.settings = settings
        self.assets = assets
        self.status_of = status_of
        self.error_body = error_body
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.cache = page_cache(settings)
        self.env.globals.update(
            asset=assets.url,
            number=number,
            pluriel=plural,
            citer=citation,
            NBSP=NBSP,
            spec_json=_spec_json,
            vega_json=_vega_json,
        )
        self.env.globals["vega_lite_in_browser"] = IN_BROWSER  # no `images` extra

    def page(
        self, request: Request, template: str, build: Builder, *, json: bool = False
    ) -> Response:
        as_json = json or "application/json" in request.headers.get("accept", "").split(",")[0]
        try:
            release = _release_of(request)
            # A release never changes: a page is a function of the release and its URL.
            key = release.scoped(  # a reader with grants gets pages of their own (#16)
                (
                    release.id,
                    str(request.base_url),  # absolute links are built on the request's host
                    request.url.path,
                    str(sorted(request.query_params.multi_items())),
                    as_json,
                )
            )
            hit = self.cache.get(key)
            if hit is not None:
                return Response(hit[0], media_type=hit[1], headers=hit[2])
            context = build(release)
        except ArdoiseError as exc:
            return self.error(request, exc, as_json)
        if as_json:
            media, body = "application/json", orjson.dumps(twin(context))
            headers = {"Cache-Control": HTML_CACHE}
        else:
            media = "text/html; charset=utf-8"
            body = (
                self.env.get_template(template)
                .render(
                    c=context,
                    p=context.page,
                    titre_jeu=_dataset_title(release),
                    base=serving_base(self.settings.public_url_set, str(request.base_url)),
                )
                .encode()
            )
            headers = {
                "Cache-Control": HTML_CACHE,
                "Link": f'<{context.page.json_url}>; rel="alternate"; type="application/json"',
            }
        self.cache.put(key, (body, media, headers))
        return Response(body, media_type=media, headers=headers)

    def error(self, request: Request, exc: ArdoiseError, as_json: bool) -> Response:
        status = self.status_of(exc)
        message = str(exc)
        if as_json:
            return Response(
                orjson.dumps(self.error_body(exc)),
                status_code=status,
                media_type="application/json",
            )
        titles = {404: "Page introuvable", 400: "Demande invalide", 503: "Service indisponible"}
        ctx = ErrorPage(
            Page(
                titles.get(status, "Erreur"),
                message,
                request.url.path,
                (Link("Accueil", ROOT.home()),),
                "",
                "",
                "",
            ),
            status,
            message,
            (
                Link("Rechercher un territoire ou un établissement", ROOT.search_page()),
                Link("Catalogue des données", ROOT.catalog_page()),
                Link("Accueil du tableau de bord", ROOT.home()),
            ),
        )
        return HTMLResponse(
            self.env.get_template("erreur.html").render(c=ctx, p=ctx.page), status_code=status
        )

    def chart(self, request: Request, build: Builder, chart_id: str, fmt: str) -> Response:
        try:
            release: ServedRelease = request.app.state.releases.get()
            context = build(release)
            chart = _find(context, chart_id)
            if fmt not in MEDIA_TYPES:
                raise NotFound(
                    f"Format de téléchargement inconnu : {fmt[:20]!r} (formats : csv, svg, png)."
                )
            base = serving_base(self.settings.public_url_set, str(request.base_url))
            page_path = request.url.path.rsplit("/graphiques/", 1)[0] or "/"
            page_url = base + page_path + (f"?{request.url.query}" if request.url.query else "")
            body = chart_file(release, chart, fmt, base, page_url)
        except ArdoiseError as exc:
            return self.error(request, exc, False)
        described = {"Link": f'<{chart.telechargements["txt"]}>; rel="describedby"'}
        name = f"{context.page.titre[:60]}-{chart_id}.{fmt}".replace("/", "-").replace('"', "")
        return Response(
            body,
            media_type=MEDIA_TYPES[fmt],
            headers={
                "Cache-Control": HTML_CACHE,
                "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}",
                **(described if fmt == "csv" else {}),
            },
        )


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _find(context: Any, chart_id: str) -> Chart:
    for chart in getattr(context, "charts", ()):
        if chart.id == chart_id:
            found: Chart = chart
            return found
    raise NotFound(f"Graphique inconnu sur cette page : {chart_id[:40]!r}.")


def _dataset_title(release: ServedRelease) -> Callable[[str], str]:
    """A dataset's title in the served release (its id when it is absent)."""

    def title(dataset_id: str) -> str:
        view = release.datasets.get(dataset_id)
        return view.dataset.title if view is not None else dataset_id

    return title


def _spec_json(spec: dict[str, Any]) -> str:
    # Safe inside <script type="application/json">: no "</" can close the element.
    return orjson.dumps(spec).decode("utf-8").replace("</", "<\\/")


def _vega_json(spec: dict[str, Any]) -> str:
    return vega_spec(spec).replace("</", "<\\/")


def _split(value: str) -> tuple[str, bool]:
    """``"42.json"`` → ``("42", True)``: the JSON twin of a page whose last segment is a code."""
    return (value[:-5], True) if value.endswith(".json") else (value, False)


STATIC_TYPES = {
    "js": "text/javascript",
    "css": "text/css",
    "woff2": "font/woff2",
    "woff": "font/woff",
    "svg": "image/svg+xml",
    "png": "image/png",
}


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _home(request: Request) -> Builder:
    return lambda rel: home.home_page(rel, _params(request), request.url.query)


def _territory(request: Request, niveau: str, code: str) -> Builder:
    path = f"/territoires/{niveau}/{code}"
    return lambda rel: territory.territory_page(
        rel, niveau, code, _params(request), path, request.url.query
    )


def _school(request: Request, uai: str) -> Builder:
    return lambda rel: school.school_page(
        rel, uai, _params(request), f"/etablissements/{uai}", request.url.query
    )


def _indicator(request: Request, ind: str) -> Builder:
    return lambda rel: indicator.indicator_page(
        rel, ind, _params(request), f"/indicateurs/{ind}", request.url.query
    )


class Routes:
    """The dashboard's route functions: each names its page builder and template (a page
    whose path ends in ``.json`` answers its JSON twin)."""

    def __init__(self, renderer: Renderer, assets: Assets, settings: Settings) -> None:
        self.r = renderer
        self.assets = assets
        self.settings = settings

    def static(self, name: str) -> Response:
        assets = self.assets
        if name not in assets.names.values() and not (assets.directory / name).is_file():
            return Response("Fichier introuvable.", status_code=404, media_type="text/plain")
        media = STATIC_TYPES.get(name.rsplit(".", 1)[-1])
        path = assets.directory / Path(name).name
        return FileResponse(path, media_type=media, headers={"Cache-Control": IMMUTABLE})

    def api_docs(self) -> Response:
        """Swagger UI on the OpenAPI spec, its files served from here (works offline) and
        started from a file, not an inline script (the pages' CSP forbids those)."""
        a = self.assets
        html = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ardoise — documentation de l'API</title>
<link rel="stylesheet" href="{a.url("swagger-ui.css")}">
<link rel="icon" href="{a.url("swagger-ui.png")}">
</head><body>
<div id="swagger-ui" data-openapi="{ROOT.openapi()}"></div>
<script src="{a.url("swagger-ui.js")}"></script>
<script src="{a.url("api-docs.js")}"></script>
</body></html>"""
        return HTMLResponse(html)

    def home_html(self, request: Request) -> Response:
        return self.r.page(request, "accueil.html", _home(request))

    def home_json(self, request: Request) -> Response:
        return self.r.page(request, "accueil.html", _home(request), json=True)

    def home_chart(self, request: Request, chart_id: str, fmt: str) -> Response:
        return self.r.chart(request, _home(request), chart_id, fmt)

    def territory_html(self, request: Request, niveau: str, code: str) -> Response:
        code, as_json = _split(code)
        builder = _territory(request, niveau, code)
        return self.r.page(request, "territoire.html", builder, json=as_json)

    def territory_chart(
        self, request: Request, niveau: str, code: str, chart_id: str, fmt: str
    ) -> Response:
        return self.r.chart(request, _territory(request, niveau, code), chart_id, fmt)

    def school_html(self, request: Request, uai: str) -> Response:
        uai, as_json = _split(uai)
        return self.r.page(request, "etablissement.html", _school(request, uai), json=as_json)

    def school_chart(self, request: Request, uai: str, chart_id: str, fmt: str) -> Response:
        return self.r.chart(request, _school(request, uai), chart_id, fmt)

    def indicators_html(self, request: Request) -> Response:
        return self.r.page(
            request,
            "indicateurs.html",
            lambda rel: home.indicators_page(rel, request.url.query),
            json=request.url.path.endswith(".json"),
        )

    def indicator_html(self, request: Request, ind: str) -> Response:
        ind, as_json = _split(ind)
        return self.r.page(request, "indicateur.html", _indicator(request, ind), json=as_json)

    def indicator_chart(self, request: Request, ind: str, chart_id: str, fmt: str) -> Response:
        return self.r.chart(request, _indicator(request, ind), chart_id, fmt)

    def catalog_html(self, request: Request) -> Response:
        return self.r.page(
            request,
            "donnees.html",
            lambda rel: catalog.catalog_page(rel, _params(request), request.url.query),
            json=request.url.path.endswith(".json"),
        )

    def dataset_html(self, request: Request, dataset_id: str) -> Response:
        dataset_id, as_json = _split(dataset_id)
        base_url = serving_base(self.settings.public_url_set, str(request.base_url))
        return self.r.page(
            request,
            "jeu.html",
            lambda rel: catalog.dataset_page(
                rel, dataset_id, _params(request), request.url.query, base_url=base_url
            ),
            json=as_json,
        )

    def codebook_html(self, request: Request, dataset_id: str) -> Response:
        return self.r.page(
            request,
            "dictionnaire.html",
            lambda rel: codebook.codebook_page(rel, dataset_id, request.url.query),
            json=False,
        )

    def releases_html(self, request: Request) -> Response:
        store = ReleaseStore(self.settings.var_dir)
        return self.r.page(
            request,
            "releases.html",
            lambda rel: releases.releases_page(rel, store, request.url.query),
            json=request.url.path.endswith(".json"),
        )

    def quality_html(self, request: Request) -> Response:
        return self.r.page(
            request,
            "qualite.html",
            lambda rel: about.quality_page(rel, request.url.query),
            json=request.url.path.endswith(".json"),
        )

    def about_html(self, request: Request) -> Response:
        return self.r.page(
            request,
            "a_propos.html",
            lambda rel: about.about_page(rel, request.url.query),
            json=request.url.path.endswith(".json"),
        )

    def numerique_html(self, request: Request) -> Response:
        return self.r.page(
            request,
            "numerique.html",
            lambda rel: numerique.numerique_page(rel, request.url.query),
            json=request.url.path.endswith(".json"),
        )

    def numerique_chart(self, request: Request, chart_id: str, fmt: str) -> Response:
        builder = lambda rel: numerique.numerique_page(rel, request.url.query)  # noqa: E731
        return self.r.chart(request, builder, chart_id, fmt)

    def search_html(self, request: Request) -> Response:
        query = request.query_params.get("q", "")
        return self.r.page(
            request,
            "recherche.html",
            lambda rel: about.search_page(rel, query, request.url.query),
            json=request.url.path.endswith(".json"),
        )

    def sql_html(self, request: Request) -> Response:
        store = ReleaseStore(self.settings.var_dir)
        limits = SqlLimits.of(self.settings)
        return self.r.page(
            request,
            "sql.html",
            lambda rel: sql.sql_page(rel, store, limits, _params(request), request.url.query),
            json=request.url.path.endswith(".json"),
        )


def _release_of(request: Request) -> ServedRelease:
    """The served release, or the one ``?release=<id>`` / ``?date=AAAA-MM-JJ`` names
    (#18: the dashboard as it was; ``query/release_archive.py``)."""
    params = request.query_params
    release: ServedRelease
    if "release" in params or "date" in params:
        archive: ReleaseArchive = request.app.state.archive
        wanted = archive.resolve(params.get("release"), params.get("date"))
        release = archive.get(wanted) if wanted else request.app.state.releases.get()
    else:
        release = request.app.state.releases.get()
    request.state.ardoise_release = release.id
    return release


ROUTES = (  # path, route function, in the order they are matched
    ("/static/{name}", "static"),
    (ROOT.api_docs(), "api_docs"),
    ("/", "home_html"),
    ("/index.json", "home_json"),
    ("/graphiques/{chart_id}.{fmt}", "home_chart"),
    ("/territoires/{niveau}/{code}", "territory_html"),
    ("/territoires/{niveau}/{code}/graphiques/{chart_id}.{fmt}", "territory_chart"),
    ("/etablissements/{uai}", "school_html"),
    ("/etablissements/{uai}/graphiques/{chart_id}.{fmt}", "school_chart"),
    ("/indicateurs", "indicators_html"),
    ("/indicateurs.json", "indicators_html"),
    ("/indicateurs/{ind}", "indicator_html"),
    ("/indicateurs/{ind}/graphiques/{chart_id}.{fmt}", "indicator_chart"),
    ("/donnees", "catalog_html"),
    ("/donnees.json", "catalog_html"),
    ("/donnees/{dataset_id}", "dataset_html"),
    ("/donnees/{dataset_id}/dictionnaire", "codebook_html"),
    ("/releases", "releases_html"),
    ("/releases.json", "releases_html"),
    ("/qualite", "quality_html"),
    ("/qualite.json", "quality_html"),
    ("/a-propos", "about_html"),
    ("/a-propos.json", "about_html"),
    ("/numerique", "numerique_html"),
    ("/numerique.json", "numerique_html"),
    ("/numerique/graphiques/{chart_id}.{fmt}", "numerique_chart"),
    ("/recherche", "search_html"),
    ("/recherche.json", "search_html"),
    ("/sql", "sql_html"),
    ("/sql.json", "sql_html"),
)


def build_router(settings: Settings, *, status_of: StatusOf, error_body: ErrorBody) -> APIRouter:
    assets = build_assets(settings.node_modules, settings.cache_dir / "static")
    routes = Routes(Renderer(settings, assets, status_of, error_body), assets, settings)
    threading.Thread(target=warm_up, name="ardoise-vl-convert", daemon=True).start()
    router = APIRouter(include_in_schema=False)
    for path, name in ROUTES:
        extra: dict[str, Any] = {"response_class": HTMLResponse} if path == "/" else {}
        router.add_api_route(path, getattr(routes, name), methods=["GET"], **extra)
    return router
