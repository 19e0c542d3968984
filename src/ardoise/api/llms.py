"""``/llms.txt``, ``/llms-full.txt`` (llmstxt.org convention) and the Markdown twins of the
dataset, indicator and territory pages: ``/donnees/{id}.md``, ``/indicateurs/{id}.md``,
``/territoires/{niveau}/{code}.md``.

Register this router before the dashboard's: its ``.md`` paths must win over the HTML
pages' ``/donnees/{id}`` patterns.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, Response

from ardoise.api import markdown as md
from ardoise.api.deps import current_release as _release
from ardoise.api.release_memo import ReleaseMemo
from ardoise.errors import NotFound
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease
from ardoise.query.territories.context import territories_of
from ardoise.query.territories.detail import territory

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
    views = list(release.datasets.values())
    infos = q.list_indicators(release)
    example = next((v for v in views if md.year_field(v)), views[0] if views else None)
    lines = [
        "# Ardoise — données ouvertes de l'éducation nationale",
        "",
        "> Ardoise sert, en releases vérifiées, versionnées et immuables, les jeux de données "
        "officiels du ministère de l'Éducation nationale (IPS des écoles, collèges et lycées, "
        "résultats au DNB et au baccalauréat, effectifs, établissements, calendrier scolaire…), "
        f"avec {len(infos)} indicateurs calculés pour chaque territoire. Release servie : "
        f"{release.id} (publiée le {release.created_at[:10]}). Licence Ouverte v2.0 (Etalab).",
        "",
        "Citez toujours la release, le jeu de données et l'URL de l'API qui redonne le chiffre. "
        "Un chiffre absent de ces sources n'est pas une donnée officielle : dites-le plutôt que "
        "de l'estimer. Une valeur « non significatif » (base trop faible) ou « absent » n'est "
        "jamais zéro.",
        "",
        "Comment interroger Ardoise :",
        "",
        f"- API Explore v2.1, compatible avec data.education.gouv.fr : {base}/api/explore/v2.1 "
        "(mêmes identifiants de jeux et noms de champs ; changer seulement l'hôte).",
        "- Filtres et agrégats en ODSQL : `where=ips > 120`, "
        "`select=avg(ips) as ips_moyen, count(ips) as n`, `group_by=rentree_scolaire`, "
        "`order_by=ips desc`, `refine=champ:valeur`, `limit` ≤ 100 (≤ 20 000 groupé). "
        "Préférer les agrégats côté serveur à la lecture de lignes.",
        "- Les codes territoriaux s'écrivent différemment selon les jeux (`69`, `069`, "
        "`LYON`…) : pour filtrer sur un territoire, utiliser le paramètre "
        "`territoire=niveau:code` (ex. `territoire=departement:69`, `territoire=academie:10`), "
        "qui suit le référentiel quel que soit le jeu.",
        f"- Territoires : {base}/api/v1/territoires?q=Lozère (recherche), "
        f"{base}/api/v1/territoires/{{niveau}}/{{code}}, {base}/api/v1/etablissements/{{uai}} ; "
        "`territoire=niveau:code` filtre les enregistrements de l'API Explore.",
        f"- Indicateurs : {base}/api/v1/indicateurs, "
        f"{base}/api/v1/indicateurs/{{id}}/valeurs?niveau=departement&annee=AAAA-AAAA, "
        f"{base}/api/v1/territoires/{{niveau}}/{{code}}/indicateurs ; chaque valeur porte sa "
        "base, son statut et l'URL de l'API Explore qui la reproduit.",
        f"- Serveur MCP (outils de recherche, de description, de requête et d'indicateurs) : "
        f"{base}/mcp (HTTP « streamable ») ou `ardoise mcp` (stdio).",
        "",
        "## Jeux de données",
        "",
    ]
    lines += [
        f"- [{v.dataset.title}]({md.dataset_md_url(base, v.id)}): `{v.id}`, {v.rows} "
        f"enregistrements, couverture {'nationale' if v.dataset.spatial_coverage.national else 'partielle'}"
        for v in views
    ]
    lines += ["", "## Indicateurs", ""]
    lines += [
        f"- [{i.definition.title}]({md.indicator_md_url(base, i.definition.id)}): "
        f"{i.definition.short_description}"
        for i in infos
    ]
    lines += [
        "",
        "## Territoires",
        "",
        f"- [France]({md.territory_md_url(base, 'france', 'FR')}): valeurs nationales",
    ]
    lists = _territory_lists(release)
    for level, title in LEVEL_TITLES[:2]:
        lines += [
            f"- [{nom}]({md.territory_md_url(base, level, code)}): {title[:-1].lower()} {code}"
            for code, nom in lists[level]
        ]
    lines += [
        "",
        "## API et métadonnées",
        "",
        f"- [Documentation de l'API]({base}/api/docs): OpenAPI interactive",
        f"- [Schéma OpenAPI]({base}/api/openapi.json)",
        f"- [Catalogue des jeux]({base}/api/explore/v2.1/catalog/datasets)",
        f"- [Catalogue DCAT-AP (Turtle)]({base}/api/explore/v2.1/catalog/exports/ttl)",
        f"- [Data Package de la release]({base}/api/v1/datapackage.json): Parquet, "
        "sha256, lignes, Table Schema",
        f"- [Couverture des indicateurs]({base}/api/v1/couverture)",
    ]
    ips = release.datasets.get(IPS_EXAMPLE[0])
    if ips is not None and {"rentree_scolaire", "ips"} <= set(ips.dataset.field_names):
        query = urlencode(
            {
                "select": "rentree_scolaire, avg(ips) as ips_moyen, count(ips) as n",
                "group_by": "rentree_scolaire",
                "territoire": IPS_EXAMPLE[1],
            },
            quote_via=quote,
            safe=":",
        )
        lines.append(
            f"- [Exemple : IPS moyen des écoles du Rhône par année scolaire]"
            f"({base}/api/explore/v2.1/catalog/datasets/{ips.id}/records?{query})"
        )
    if example is not None:
        lines += [
            f"- [Exemple : {label.lower()} de `{example.id}`]({url})"
            for label, url in md.example_queries(base, example)
        ]
    lines += ["", "## Optional", ""]
    lines += [
        f"- [{nom}]({md.territory_md_url(base, 'departement', code)}): département {code}"
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


# llms.txt, llms-full.txt and the Markdown pages, computed once per release and base URL.
_texts: ReleaseMemo[str] = ReleaseMemo(entries=512)


def cached_llms_txt(release: ServedRelease, base: str, *, full: bool) -> str:
    return _texts.get(release.id, ("llms", base, full), lambda: llms_txt(release, base, full=full))


def build_router() -> APIRouter:
    router = APIRouter(tags=["Pour les assistants d'IA"])

    @router.get("/llms.txt", response_class=Response, summary="llms.txt")
    def llms(request: Request) -> Response:
        return Response(
            cached_llms_txt(_release(request), _base(request), full=False), media_type=PLAIN
        )

    @router.get("/llms-full.txt", response_class=Response, summary="llms-full.txt")
    def llms_full(request: Request) -> Response:
        return Response(
            cached_llms_txt(_release(request), _base(request), full=True), media_type=PLAIN
        )

    @router.get(
        "/donnees/{dataset_id}.md",
        response_class=Response,
        summary="Fiche d'un jeu de données en Markdown",
    )
    def dataset_page(request: Request, dataset_id: str) -> Response:
        release, base = _release(request), _base(request)
        view = release.dataset(dataset_id)
        text = _texts.get(
            release.id, ("donnees", base, view.id), lambda: md.dataset_md(view, release, base)
        )
        return Response(text, media_type=MARKDOWN)

    @router.get(
        "/indicateurs/{indicator_id}.md",
        response_class=Response,
        summary="Fiche d'un indicateur en Markdown",
    )
    def indicator_page(request: Request, indicator_id: str) -> Response:
        release, base = _release(request), _base(request)
        info = q.indicator(release, indicator_id)
        text = _texts.get(
            release.id,
            ("indicateurs", base, info.definition.id),
            lambda: md.indicator_md(
                info, release, base, _national(release).get(info.definition.id, ())
            ),
        )
        return Response(text, media_type=MARKDOWN)

    @router.get(
        "/territoires/{niveau}/{code}.md",
        response_class=Response,
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

        text = _texts.get(release.id, ("territoires", base, t.niveau, t.code), compute)
        return Response(text, media_type=MARKDOWN)

    return router
