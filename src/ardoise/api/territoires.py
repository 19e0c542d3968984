"""Territories API (mounted under ``/api/v1``): search, one territory, one school, contours.

Every handler calls a data function of ``ardoise.query.territories`` and only reshapes its
result: dataclasses → JSON, root-relative links made absolute.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ardoise.api.deps import CurrentRelease
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.media import answers
from ardoise.query import territories as T
from ardoise.query.limits import parse_int_parameter
from ardoise.query.territories import levels

GEO_CACHE_CONTROL = "public, max-age=86400"
_NIVEAUX = ", ".join(levels.LEVELS)

Q = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        description="Nom ou code, sans tenir compte des accents ni de la "
        "casse ; un début de nom ou une faute de frappe suffit.",
    ),
]
Niveau = Annotated[str | None, Query(description=f"Restreindre à un niveau : {_NIVEAUX}.")]
Limit = Annotated[str | None, Query(description="Nombre de résultats (1 à 50, 10 par défaut).")]
Parent = Annotated[
    str | None,
    Query(description="Territoire parent `niveau:code` (ex. academie:10) : ses enfants seulement."),
]


def _absolute(value: Any, root: str) -> Any:
    """The same JSON value with every root-relative API link made absolute."""
    if isinstance(value, str):
        return root + value if value.startswith("/api/") else value
    if isinstance(value, dict):
        return {k: _absolute(v, root) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_absolute(v, root) for v in value]
    return value


def _json(request: Request, value: Any) -> JSONBytes:
    return JSONBytes(_absolute(value, str(request.base_url).rstrip("/")))


def build_router() -> APIRouter:
    router = APIRouter(tags=["Territoires"])

    @router.get("/territoires", summary="Rechercher un territoire ou un établissement")
    def search(
        request: Request, release: CurrentRelease, q: Q, niveau: Niveau = None, limit: Limit = None
    ) -> JSONBytes:
        """Communes, départements, académies, régions, la France et les établissements
        (UAI), par nom ou par code, les meilleurs d'abord : code exact, nom exact, début de
        nom, mot du nom, nom approchant ; à égalité, la population la plus grande. Une
        requête mêlant type, nom et lieu (« lycée Rennes », « collège privé Villeurbanne »,
        « Lycée Chateaubriand ») trouve les établissements (correspondance « mots ») : les
        mots de type filtrent, les mots de lieu situent, une faute par mot est tolérée."""
        n = parse_int_parameter("limit", limit)
        results = T.search_territories(release, q, niveau or None, 10 if n is None else n)
        return _json(
            request, {"total_count": len(results), "results": [asdict(r) for r in results]}
        )

    @router.get("/territoires/{niveau}/{code}", summary="Un territoire")
    def territoire(request: Request, release: CurrentRelease, niveau: str, code: str) -> JSONBytes:
        """Nom, parents jusqu'à la France, nombre d'enfants par niveau, population,
        emprise, jeux de données qui ont des lignes pour ce territoire, liens."""
        return _json(request, asdict(T.territory(release, niveau, code)))

    @router.get("/etablissements/{uai}", summary="Un établissement, tous jeux confondus")
    def etablissement(request: Request, release: CurrentRelease, uai: str) -> JSONBytes:
        """Identité, localisation, et chaque série qui existe pour l'établissement (lignes
        par année scolaire, couverture de la source) ; les jeux nationaux qui devraient le
        contenir mais n'ont aucune ligne pour lui sont listés dans `series_absentes`."""
        return _json(request, asdict(T.etablissement(release, uai)))

    @router.get(
        "/geo/{niveau}.topojson",
        summary="Contours simplifiés (TopoJSON)",
        response_class=Response,
        responses=answers("application/json"),
    )
    def geo(release: CurrentRelease, niveau: str, parent: Parent = None) -> Response:
        """Contours d'un niveau (region, departement, academie, commune), ou des enfants
        d'un territoire avec `parent=niveau:code`. Les communes exigent un parent
        (département, académie ou région)."""
        where = levels.parse(parent, parameter="parent") if parent else None
        body = T.geometry(release, niveau, where)
        return Response(
            body, media_type="application/json", headers={"Cache-Control": GEO_CACHE_CONTROL}
        )

    return router


__all__ = ["build_router"]
