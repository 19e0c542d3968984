"""Indicators API (mounted under ``/api/v1``): definitions, values for every territory of a
level, every indicator of one territory, and the coverage report.

Every handler calls a data function of ``ardoise.query.indicators`` and only reshapes its
result (STYLE.md L1). Errors are domain errors mapped by the app's single error table.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ardoise.api.jsonresponse import JSONBytes
from ardoise.indicators.model import Definition
from ardoise.odsql.errors import InvalidParameter
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels as territory_levels

Niveau = Annotated[
    str | None,
    Query(
        description="Niveau territorial : etablissement, commune, "
        "departement, academie, region, france."
    ),
]
Annee = Annotated[
    str | None, Query(description="Année scolaire AAAA-AAAA (par défaut : la plus récente).")
]
Parent = Annotated[
    str | None,
    Query(
        description="Ne garder que les territoires situés dans "
        "ce territoire : niveau:code (ex. academie:10)."
    ),
]


def _release(request: Request) -> ServedRelease:
    release: ServedRelease = request.app.state.releases.get()
    return release


def _definition_json(d: Definition) -> dict[str, Any]:
    f = d.formula
    formula: dict[str, Any] = {"texte": f.text, "agregation": f.aggregation}
    for key, value in (
        ("champ", f.field),
        ("compte", f.count or None),
        ("poids", f.weight),
        ("facteur", f.factor if f.aggregation == "ratio_of_sums" else None),
    ):
        if value is not None:
            formula[key] = value
    if f.numerator is not None and f.denominator is not None:
        formula["numerateur"] = f.numerator.to_json()
        formula["denominateur"] = f.denominator.to_json()
    if f.references:
        formula["references"] = dict(f.references)
    if f.filters:
        formula["filtres"] = {k: list(v) for k, v in f.filters}
    if f.required:
        formula["champs_requis"] = list(f.required)
    return formula


def _summary(info: q.IndicatorInfo) -> dict[str, Any]:
    d = info.definition
    return {
        "id": d.id,
        "version": d.version,
        "titre": d.title,
        "description_courte": d.short_description,
        "unite": d.unit,
        "decimales": d.decimals,
        "theme": d.theme,
        "theme_libelle": info.theme_label,
        "niveaux": list(d.levels),
        "annees": list(info.annees),
        "sources": list(d.dataset_ids),
        "liens": {
            "self": f"/api/v1/indicateurs/{d.id}",
            "valeurs": f"/api/v1/indicateurs/{d.id}/valeurs",
        },
    }


def _details(info: q.IndicatorInfo, release: ServedRelease) -> dict[str, Any]:
    d = info.definition
    sources = []
    for s in d.sources:
        view = release.datasets.get(s.dataset)
        sources.append(
            {
                "jeu": s.dataset,
                "titre": view.dataset.title if view else None,
                "present": view is not None,
                "annees_retenues": list(s.years) or None,
                "lien": f"/api/explore/v2.1/catalog/datasets/{s.dataset}",
            }
        )
    return {
        **_summary(info),
        "description": d.description,
        "formule": _definition_json(d),
        "agregation_libelle": info.aggregation_label,
        "base": info.base_label,
        "niveau_depart": d.start_level,
        "base_minimale": d.min_base,
        "couverture_partielle": d.partial_coverage,
        "precautions": list(d.caveats),
        "methodologie": d.methodology,
        "sources": sources,
        "couverture": info.couverture,
        "release": release.id,
    }


def _provenance(p: q.Provenance) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": p.version,
        "sources": list(p.sources),
        "release": p.release,
        "requete": p.requete,
    }
    if p.lecture:
        out["lecture"] = p.lecture
    return out


def _value(v: q.IndicatorValue, *, territory: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if territory:
        out.update({"niveau": v.niveau, "code": v.code, "nom": v.nom})
    out.update({"annee_scolaire": v.annee, "valeur": v.valeur, "base": v.base, "statut": v.statut})
    if v.numerateur is not None or v.denominateur is not None:
        out.update({"numerateur": v.numerateur, "denominateur": v.denominateur})
    if territory:
        out["parent"] = {"niveau": v.parent[0], "code": v.parent[1]} if v.parent else None
        out["rang"] = v.rang
        out["rang_sur"] = v.rang_sur
    out["provenance"] = _provenance(v.provenance)
    return out


def _parent(raw: str | None) -> tuple[str, str] | None:
    if raw is None or not raw.strip():
        return None
    return territory_levels.parse(raw, parameter="parent")


def build_router() -> APIRouter:
    router = APIRouter(tags=["Indicateurs"])

    @router.get("/indicateurs", summary="Liste des indicateurs")
    def indicateurs(request: Request) -> JSONBytes:
        release = _release(request)
        items = [_summary(info) for info in q.list_indicators(release)]
        return JSONBytes({"release": release.id, "total_count": len(items), "indicateurs": items})

    @router.get("/indicateurs/{indicator_id}", summary="Définition, méthode et couverture")
    def indicateur(request: Request, indicator_id: str) -> JSONBytes:
        release = _release(request)
        return JSONBytes(_details(q.indicator(release, indicator_id), release))

    @router.get(
        "/indicateurs/{indicator_id}/valeurs",
        summary="Valeurs pour tous les territoires d'un niveau (carte)",
    )
    def valeurs(
        request: Request,
        indicator_id: str,
        niveau: Niveau = None,
        annee: Annee = None,
        parent: Parent = None,
    ) -> JSONBytes:
        release = _release(request)
        if niveau is None or not niveau.strip():
            raise InvalidParameter("Le paramètre niveau est obligatoire (ex. niveau=departement).")
        result = q.indicator_values(release, indicator_id, niveau, annee, _parent(parent))
        d = result.indicator.definition
        p = result.parent
        return JSONBytes(
            {
                "indicateur": _summary(result.indicator),
                "niveau": result.niveau,
                "annee_scolaire": result.annee,
                "release": release.id,
                "parent": (
                    {"niveau": p[0], "code": p[1], "nom": q.territory_name(release, p[0], p[1])}
                    if p
                    else None
                ),
                "unite": d.unit,
                "total_count": len(result.values),
                "valeurs": [_value(v) for v in result.values],
            }
        )

    @router.get(
        "/territoires/{niveau}/{code}/indicateurs", summary="Tous les indicateurs d'un territoire"
    )
    def territoire(request: Request, niveau: str, code: str, annee: Annee = None) -> JSONBytes:
        release = _release(request)
        result = q.territory_indicators(release, niveau, code, annee)
        return JSONBytes(
            {
                "territoire": {
                    "niveau": result.niveau,
                    "code": result.code,
                    "nom": result.nom,
                    "parents": [
                        {"niveau": lv, "code": c, "nom": q.territory_name(release, lv, c)}
                        for lv, c in result.ancestors
                    ],
                },
                "annee_scolaire": result.annee,
                "release": release.id,
                "total_count": len(result.items),
                "indicateurs": [
                    {
                        **_summary(item.indicator),
                        "annee_scolaire": item.annee,
                        **{
                            k: v
                            for k, v in _value(item.value).items()
                            if k not in ("niveau", "code", "nom", "annee_scolaire")
                        },
                        "parents": [_value(p) for p in item.parents],
                        "serie": [_value(s, territory=False) for s in item.serie],
                    }
                    for item in result.items
                ],
            }
        )

    @router.get("/couverture", summary="Ce qui manque : années et territoires sans données")
    def couverture(request: Request) -> JSONBytes:
        release = _release(request)
        report = q.coverage(release)
        return JSONBytes({"release": report.release, "indicateurs": list(report.indicateurs)})

    return router


__all__ = ["build_router"]
