"""Indicators API (mounted under ``/api/v1``): definitions, values for every territory of a
level, every indicator of one territory, and the coverage report.

Every handler calls a data function of ``ardoise.query.indicators`` and only reshapes its
result (STYLE.md L1). Errors are domain errors mapped by the app's single error table.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ardoise.api.deps import CurrentRelease
from ardoise.api.jsonresponse import JSONBytes
from ardoise.indicators.model import Definition
from ardoise.odsql.errors import InvalidParameter
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels as territory_levels
from ardoise.urls import ROOT

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

Code = Annotated[
    str | None,
    Query(
        description="Ne garder que ce territoire (son code au niveau demandé, ex. 69) : "
        "l'URL qui cite une valeur."
    ),
]


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
    if f.blank_is_zero:
        formula["case_vide_zero"] = True
    return formula


def _summary(info: q.IndicatorInfo) -> dict[str, Any]:
    d = info.definition
    secret = {"secret_statistique": {"seuil": info.secret}} if info.secret else {}
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
            "self": ROOT.indicator(d.id),
            "valeurs": ROOT.indicator_values(d.id),
        },
        **secret,  # a count of a restricted dataset, under disclosure control (issue #16)
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
                "lien": ROOT.dataset(s.dataset),
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
        "comment_lire": list(q.how_to_read(info)),
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
    if v.secret:  # suppressed under disclosure control: no value, its status (issue #16)
        out["secret"] = {"code": v.secret, "libelle": v.secret_libelle}
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


def indicateurs(release: CurrentRelease) -> JSONBytes:
    items = [_summary(info) for info in q.list_indicators(release)]
    return JSONBytes({"release": release.id, "total_count": len(items), "indicateurs": items})


def indicateur(release: CurrentRelease, indicator_id: str) -> JSONBytes:
    return JSONBytes(_details(q.indicator(release, indicator_id), release))


def valeurs(
    release: CurrentRelease,
    indicator_id: str,
    niveau: Niveau = None,
    annee: Annee = None,
    parent: Parent = None,
    code: Code = None,
) -> JSONBytes:
    if niveau is None or not niveau.strip():
        raise InvalidParameter("Le paramètre niveau est obligatoire (ex. niveau=departement).")
    result = q.indicator_values(
        release, indicator_id, niveau, annee, _parent(parent), (code or "").strip() or None
    )
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
            "unite": result.indicator.definition.unit,
            "total_count": len(result.values),
            "valeurs": [_value(v) for v in result.values],
        }
    )


def _territory_item(item: q.TerritoryIndicator) -> dict[str, Any]:
    value = {
        k: v
        for k, v in _value(item.value).items()
        if k not in ("niveau", "code", "nom", "annee_scolaire")
    }
    return {
        **_summary(item.indicator),
        "annee_scolaire": item.annee,
        **value,
        "parents": [_value(p) for p in item.parents],
        "serie": [_value(s, territory=False) for s in item.serie],
    }


def territoire(release: CurrentRelease, niveau: str, code: str, annee: Annee = None) -> JSONBytes:
    result = q.territory_indicators(release, niveau, code, annee)
    parents = [
        {"niveau": lv, "code": c, "nom": q.territory_name(release, lv, c)}
        for lv, c in result.ancestors
    ]
    return JSONBytes(
        {
            "territoire": {
                "niveau": result.niveau,
                "code": result.code,
                "nom": result.nom,
                "parents": parents,
            },
            "annee_scolaire": result.annee,
            "release": release.id,
            "total_count": len(result.items),
            "indicateurs": [_territory_item(item) for item in result.items],
        }
    )


def couverture(release: CurrentRelease) -> JSONBytes:
    report = q.coverage(release)
    return JSONBytes({"release": report.release, "indicateurs": list(report.indicateurs)})


ROUTES = (  # path, route function, summary
    ("/indicateurs", indicateurs, "Liste des indicateurs"),
    ("/indicateurs/{indicator_id}", indicateur, "Définition, méthode et couverture"),
    (
        "/indicateurs/{indicator_id}/valeurs",
        valeurs,
        "Valeurs pour tous les territoires d'un niveau (carte)",
    ),
    (
        "/territoires/{niveau}/{code}/indicateurs",
        territoire,
        "Tous les indicateurs d'un territoire",
    ),
    ("/couverture", couverture, "Ce qui manque : années et territoires sans données"),
)


def build_router() -> APIRouter:
    router = APIRouter(tags=["Indicateurs"])
    for path, endpoint, summary in ROUTES:
        router.add_api_route(path, endpoint, methods=["GET"], summary=summary)
    return router


__all__ = ["build_router"]
