"""``/llms.txt``, ``/llms-full.txt`` (llmstxt.org convention) and the Markdown twins of the
dataset, indicator and territory pages: ``/donnees/{id}.md``, ``/indicateurs/{id}.md``,
``/territoires/{niveau}/{code}.md``.

Register this router before the dashboard's: its ``.md`` paths must win over the HTML
pages' ``/donnees/{id}`` patterns.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from fastapi import APIRouter, Request, Response

from ardoise.api import markdown as md
from ardoise.api.deps import release_of as _release
from ardoise.api.documents import document
from ardoise.api.media import answers
from ardoise.errors import NotFound
from ardoise.query import indicators as q
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.territories.context import territories_of
from ardoise.query.territories.detail import territory
from ardoise.urls import Urls, query_string

MARKDOWN = "text/markdown; charset=utf-8"
PLAIN = "text/plain; charset=utf-8"
IPS_EXAMPLE = ("fr-en-ips-ecoles-ap2022", "departement:69")
LEVEL_TITLES = (("region", "Régions"), ("academie", "Académies"), ("departement", "Départements"))


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _territory_lists(release: ServedRelease) -> dict[str, list[tuple[str, str]]]:
    """(code, name) of the régions, académies and départements of the referential."""
    ref = territories_of(release).referential
    return {
        "region": sorted((r.code, r.nom) for r in ref.regions.values()),
        "academie": sorted((a.code, a.nom) for a in ref.academies.values() if not a.ancienne),
        "departement": sorted((d.code, d.nom) for d in ref.departements.values()),
    }


def _national(release: ServedRelease) -> dict[str, tuple[q.IndicatorValue, ...]]:
    """Indicator id → its national series (every school year), from the indicator API."""
    try:
        found = q.territory_indicators(release, "france", "FR")
    except NotFound:
        return {}
    return {item.indicator.definition.id: item.serie for item in found.items}


def llms_txt(release: ServedRelease, base: str, *, full: bool) -> str:
    """The llms.txt of the release on ``base`` (``full``: with every dataset and indicator
    page in Markdown)."""
    urls = Urls(base)
    views = list(release.datasets.values())
    infos = q.list_indicators(release)
    lists = _territory_lists(release)
    lines = [
        *_introduction(release, urls, len(infos)),
        "## Jeux de données",
        "",
        *(
            f"- [{v.dataset.title}]({urls.dataset_md(v.id)}): `{v.id}`, {v.rows} "
            f"enregistrements, couverture "
            f"{'nationale' if v.dataset.spatial_coverage.national else 'partielle'}"
            for v in views
        ),
        "",
        "## Indicateurs",
        "",
        *(
            f"- [{i.definition.title}]({urls.indicator_md(i.definition.id)}): "
            f"{i.definition.short_description}"
            for i in infos
        ),
        "",
        "## Territoires",
        "",
        f"- [France]({urls.territory_md('france', 'FR')}): valeurs nationales",
    ]
    for level, title in LEVEL_TITLES[:2]:
        lines += [
            f"- [{nom}]({urls.territory_md(level, code)}): {title[:-1].lower()} {code}"
            for code, nom in lists[level]
        ]
    lines += ["", *_api_and_metadata(release, urls, views), "", "## Optional", ""]
    lines += [
        f"- [{nom}]({urls.territory_md('departement', code)}): département {code}"
        for code, nom in lists["departement"]
    ]
    lines.append("")
    if full:
        national = _national(release)
        for v in views:
            lines += ["---", "", md.dataset_md(v, release, base)]
        for i in infos:
            lines += [
                "---",
                "",
                md.indicator_md(i, release, base, national.get(i.definition.id, ())),
            ]
    return "\n".join(lines)


def _introduction(release: ServedRelease, urls: Urls, indicators: int) -> list[str]:
    """The title, what Ardoise serves, and how to query it."""
    return [
        "# Ardoise — données ouvertes de l'éducation nationale",
        "",
        "> Ardoise sert, en releases vérifiées, versionnées et immuables, les jeux de données "
        "officiels du ministère de l'Éducation nationale (IPS des écoles, collèges et lycées, "
        "résultats au DNB et au baccalauréat, effectifs, établissements, calendrier scolaire…), "
        f"avec {indicators} indicateurs calculés pour chaque territoire. Release servie : "
        f"{release.id} (publiée le {release.created_at[:10]}). Licence Ouverte v2.0 (Etalab).",
        "",
        "Citez toujours la release, le jeu de données et l'URL de l'API qui redonne le chiffre. "
        "Un chiffre absent de ces sources n'est pas une donnée officielle : dites-le plutôt que "
        "de l'estimer. Une valeur « non significatif » (base trop faible) ou « absent » n'est "
        "jamais zéro.",
        "",
        "Comment interroger Ardoise :",
        "",
        f"- API Explore v2.1, compatible avec data.education.gouv.fr : {urls.explore()} "
        "(mêmes identifiants de jeux et noms de champs ; changer seulement l'hôte).",
        "- Filtres et agrégats en ODSQL : `where=ips > 120`, "
        "`select=avg(ips) as ips_moyen, count(ips) as n`, `group_by=rentree_scolaire`, "
        "`order_by=ips desc`, `refine=champ:valeur`, `limit` ≤ 100 (≤ 20 000 groupé). "
        "Préférer les agrégats côté serveur à la lecture de lignes.",
        "- Les codes territoriaux s'écrivent différemment selon les jeux (`69`, `069`, "
        "`LYON`…) : pour filtrer sur un territoire, utiliser le paramètre "
        "`territoire=niveau:code` (ex. `territoire=departement:69`, `territoire=academie:10`), "
        "qui suit le référentiel quel que soit le jeu.",
        f"- Territoires : {urls.territories('q=Lozère')} (recherche), "
        f"{urls.territories()}/{{niveau}}/{{code}}, {urls.v1()}/etablissements/{{uai}} ; "
        "`territoire=niveau:code` filtre les enregistrements de l'API Explore.",
        f"- Indicateurs : {urls.indicators()}, "
        f"{urls.indicators()}/{{id}}/valeurs?niveau=departement&annee=AAAA-AAAA, "
        f"{urls.territories()}/{{niveau}}/{{code}}/indicateurs ; chaque valeur porte sa "
        "base, son statut et l'URL de l'API Explore qui la reproduit.",
        f"- Serveur MCP (outils de recherche, de description, de requête et d'indicateurs) : "
        f"{urls.mcp()} (HTTP « streamable ») ou `ardoise mcp` (stdio).",
        "",
    ]


def _api_and_metadata(release: ServedRelease, urls: Urls, views: list[DatasetView]) -> list[str]:
    """Links to the API's documentation and metadata, and example queries."""
    lines = [
        "## API et métadonnées",
        "",
        f"- [Documentation de l'API]({urls.api_docs()}): OpenAPI interactive",
        f"- [Schéma OpenAPI]({urls.openapi()})",
        f"- [Catalogue des jeux]({urls.catalog()})",
        f"- [Catalogue DCAT-AP (Turtle)]({urls.catalog_export('ttl')})",
        f"- [Data Package de la release]({urls.datapackage()}): Parquet, "
        "sha256, lignes, Table Schema",
        f"- [Couverture des indicateurs]({urls.coverage()})",
    ]
    ips = release.datasets.get(IPS_EXAMPLE[0])
    if ips is not None and {"rentree_scolaire", "ips"} <= set(ips.dataset.field_names):
        example = {
            "select": "rentree_scolaire, avg(ips) as ips_moyen, count(ips) as n",
            "group_by": "rentree_scolaire",
            "territoire": IPS_EXAMPLE[1],
        }
        lines.append(
            f"- [Exemple : IPS moyen des écoles du Rhône par année scolaire]"
            f"({urls.records(ips.id, query_string(example, safe=':'))})"
        )
    first = next((v for v in views if md.year_field(v)), views[0] if views else None)
    if first is not None:
        lines += [
            f"- [Exemple : {label.lower()} de `{first.id}`]({url})"
            for label, url in md.example_queries(urls.base, first)
        ]
    return lines


def _text(
    request: Request,
    release: ServedRelease,
    key: Hashable,
    compute: Callable[[], str],
    media_type: str = PLAIN,
) -> Response:
    """The document ``key`` (computed once per release and base URL: ``api/documents.py``)."""
    body, media = document(request, release, key, lambda: (compute().encode("utf-8"), media_type))
    return Response(body, media_type=media)


def build_router() -> APIRouter:
    router = APIRouter(tags=["Pour les assistants d'IA"])

    @router.get("/llms.txt", response_class=Response, responses=answers(PLAIN), summary="llms.txt")
    def llms(request: Request) -> Response:
        release, base = _release(request), _base(request)
        return _text(
            request, release, ("llms", base, False), lambda: llms_txt(release, base, full=False)
        )

    @router.get(
        "/llms-full.txt", response_class=Response, responses=answers(PLAIN), summary="llms-full.txt"
    )
    def llms_full(request: Request) -> Response:
        release, base = _release(request), _base(request)
        return _text(
            request, release, ("llms", base, True), lambda: llms_txt(release, base, full=True)
        )

    @router.get(
        "/donnees/{dataset_id}.md",
        response_class=Response,
        responses=answers(MARKDOWN),
        summary="Fiche d'un jeu de données en Markdown",
    )
    def dataset_page(request: Request, dataset_id: str) -> Response:
        release, base = _release(request), _base(request)
        view = release.dataset(dataset_id)
        return _text(
            request,
            release,
            ("donnees", base, view.id),
            lambda: md.dataset_md(view, release, base),
            MARKDOWN,
        )

    @router.get(
        "/indicateurs/{indicator_id}.md",
        response_class=Response,
        responses=answers(MARKDOWN),
        summary="Fiche d'un indicateur en Markdown",
    )
    def indicator_page(request: Request, indicator_id: str) -> Response:
        release, base = _release(request), _base(request)
        info = q.indicator(release, indicator_id)
        return _text(
            request,
            release,
            ("indicateurs", base, info.definition.id),
            lambda: md.indicator_md(
                info, release, base, _national(release).get(info.definition.id, ())
            ),
            MARKDOWN,
        )

    @router.get(
        "/territoires/{niveau}/{code}.md",
        response_class=Response,
        responses=answers(MARKDOWN),
        summary="Fiche d'un territoire en Markdown",
    )
    def territory_page(request: Request, niveau: str, code: str) -> Response:
        release, base = _release(request), _base(request)
        t = territory(release, niveau, code)

        def compute() -> str:
            try:
                found: q.TerritoryIndicators | None = q.territory_indicators(
                    release, t.niveau, t.code
                )
            except NotFound:
                found = None
            return md.territory_md(t, found, release, base)

        return _text(request, release, ("territoires", base, t.niveau, t.code), compute, MARKDOWN)

    return router
