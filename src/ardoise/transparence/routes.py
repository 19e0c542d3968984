"""The routes of the transparency part, assembled once by the web app."""

from __future__ import annotations

from fastapi import APIRouter

from ardoise.controlplane.signin import SignIn
from ardoise.scolarite.service import ScolariteService
from ardoise.settings import Settings
from ardoise.transparence import families, usage_pages
from ardoise.transparence.contexts import of_habilitations


def build_router(
    settings: Settings,
    service: ScolariteService | None,
    signin: SignIn,
    status_of: families.StatusOf,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    contexts = of_habilitations(signin.lazy)  # purpose and legal basis of each check
    view = families.Families(settings, service, status_of, contexts=contexts)
    router.include_router(families.build_router(view))
    router.include_router(usage_pages.build_router(settings, service, signin, status_of))
    return router
