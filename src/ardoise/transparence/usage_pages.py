"""Each partner's use of the enrolment API (issue #16), per habilitation or token, from the
audit journal (:func:`ardoise.scolarite.activity.usage`): a partner sees its own (the
tokens of its organisations' SIRETs), the instructors see every partner.

    GET /partenaires/usage?jours=30        the page (DSFR), anomalies highlighted
    GET /partenaires/usage.json?jours=30   the same numbers in JSON
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import Connection

from ardoise.controlplane.habilitations import may_instruct
from ardoise.controlplane.organisations import find_organisation
from ardoise.controlplane.permissions import Action, Principal, allowed, authorize
from ardoise.controlplane.signin import SignIn
from ardoise.errors import ArdoiseError
from ardoise.scolarite import activity
from ardoise.scolarite.errors import RegistryUnavailable
from ardoise.scolarite.service import ScolariteService
from ardoise.settings import Settings
from ardoise.transparence.families import StatusOf
from ardoise.transparence.render import NO_STORE, Pages

PAGE = "/partenaires/usage"
RULE = (
    "Pic : un jour dont les appels dépassent 3 fois la médiane des jours actifs du groupe "
    "(au moins 3 jours actifs et 10 appels ce jour-là). Part de recherches infructueuses "
    "anormale : plus du double de la médiane de tous les partenaires et plus de 25 points "
    "au-dessus, sur au moins 20 recherches."
)


def usage_siret(conn: Connection, principal: Principal, organisation_id: str) -> str:
    """The SIRET whose usage ``principal`` may read for ``organisation_id`` (the gate)."""
    authorize(principal, Action.USAGE_LIRE, organisation_id)
    return find_organisation(conn, organisation_id).siret


def visible_sirets(conn: Connection, principal: Principal) -> set[str] | None:
    """None: every partner (the national administrator and the habilitations'
    instructors); else the SIRETs of the principal's organisations. Refused (401/403) for
    anyone else."""
    if allowed(principal, Action.USAGE_LIRE, None) or may_instruct(principal):
        return None
    organisations = sorted({org for org, _role in principal.roles})
    readable = [o for o in organisations if allowed(principal, Action.USAGE_LIRE, o)]
    if not readable:
        authorize(principal, Action.USAGE_LIRE, None)  # raises
    return {usage_siret(conn, principal, o) for o in readable}


def _days(raw: str) -> int:
    return max(1, min(366, int(raw))) if raw.strip().isdigit() else 30


def as_json(groups: list[activity.GroupUsage], days: int, today: str) -> dict[str, Any]:
    return {
        "periode": {"fin": today, "jours": days},
        "regle_anomalies": RULE,
        "groupes": [
            {
                "cle": g.key,
                "genre": g.kind,
                "intitule": g.title,
                "siret": g.siret,
                "jetons": list(g.tokens),
                "appels": g.calls,
                "trouves": g.total("found"),
                "non_trouves": g.total("not_found"),
                "refuses": g.total("refused"),
                "limitations": g.total("throttled"),
                "part_non_trouves": g.not_found_share,
                "anomalies": list(g.anomalies),
                "jours": [
                    {
                        "jour": d.day.isoformat(),
                        "appels": d.calls,
                        "trouves": d.found,
                        "non_trouves": d.not_found,
                        "refuses": d.refused,
                        "limitations": d.throttled,
                        "pic": d.spike,
                    }
                    for d in g.days
                ],
            }
            for g in groups
        ],
    }


def build_router(
    settings: Settings, service: ScolariteService | None, signin: SignIn, status_of: StatusOf
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    pages = Pages(settings)

    def compute(request: Request, jours: str) -> tuple[list[activity.GroupUsage], int, str]:
        principal = signin.principal(request)  # Unauthenticated when nobody is signed in
        with signin.engine.connect() as conn:
            sirets = visible_sirets(conn, principal)
        engine = service.engine if service is not None else None
        if engine is None:
            raise RegistryUnavailable("Le registre des inscriptions est indisponible.")
        today = datetime.now(UTC).date()
        days = _days(jours)
        return activity.usage(engine, today, days, sirets), days, today.isoformat()

    @router.get(PAGE)
    def page(request: Request, jours: str = "30") -> Response:
        session = signin.session(request)
        if session is None or signin.account(request) is None:
            return RedirectResponse(f"/compte/connexion?suite={PAGE}", 303, headers=NO_STORE)
        common = {  # the producers' sign-out, as on their pages
            "service": "Usage de l'API de vérification", "accueil": PAGE,
            "deconnexion": "/compte/deconnexion", "csrf": session.csrf,
        }  # fmt: skip
        try:
            groups, days, today = compute(request, jours[:4])
        except ArdoiseError as exc:
            status = status_of(exc)
            return pages.render(
                "erreur.html", "Usage indisponible", status, erreur=str(exc), **common
            )
        return pages.render(
            "usage.html", "Usage de l'API de vérification", groupes=groups, jours=days,
            fin=today, regle=RULE, **common,
        )  # fmt: skip

    @router.get(PAGE + ".json")
    def page_json(request: Request, jours: str = "30") -> Response:
        try:
            groups, days, today = compute(request, jours[:4])
        except ArdoiseError as exc:
            status = status_of(exc)
            body = {"error_code": type(exc).__name__, "message": str(exc)}
            return JSONResponse(body, status_code=status, headers=NO_STORE)
        return JSONResponse(as_json(groups, days, today), headers=NO_STORE)

    return router
