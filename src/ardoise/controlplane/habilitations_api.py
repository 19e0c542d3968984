"""Habilitations in the Automation API (issue #16), beside the producers' routes:

    GET /api/producteurs/v1/registre/habilitations                  the public register
    GET /api/producteurs/v1/organisations/{org}/habilitations       an organisation's (key « lire »)
    GET /api/producteurs/v1/habilitations/{id}                      one of them (key « lire »)

Requests and decisions are made by people on the pages (a legal commitment, the four
eyes of the instruction); an API key of the organisation reads them. The register needs no
key and carries no personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from ardoise.controlplane import habilitations as hab
from ardoise.controlplane import register
from ardoise.controlplane.database import LazyEngine
from ardoise.controlplane.permissions import Principal


def _habilitation(h: hab.Habilitation) -> dict[str, Any]:
    out = asdict(h)
    out["state"] = h.state.value
    return out


def _entry(e: register.RegisterEntry) -> dict[str, Any]:
    return dict(zip(register.COLUMNS, e.row(), strict=True))


def add_routes(
    router: APIRouter, lazy: LazyEngine, principal: Callable[[Request], Principal]
) -> None:
    @router.get(
        "/registre/habilitations",
        summary="Le registre public des habilitations accordées (sans donnée personnelle)",
    )
    def public_register() -> list[dict[str, Any]]:
        with lazy.get().connect() as conn:
            return [_entry(e) for e in register.entries(conn, Principal())]

    @router.get(
        "/organisations/{organisation_id}/habilitations",
        summary="Les habilitations de l'organisation de la clé",
    )
    def of_organisation(request: Request, organisation_id: str) -> list[dict[str, Any]]:
        who = principal(request)
        with lazy.get().connect() as conn:
            return [_habilitation(h) for h in hab.list_for(conn, who, organisation_id)]

    @router.get("/habilitations/{habilitation_id}", summary="Une habilitation")
    def one(request: Request, habilitation_id: str) -> dict[str, Any]:
        who = principal(request)
        with lazy.get().connect() as conn:
            return _habilitation(hab.get(conn, who, habilitation_id))
