"""The Automation API of the producers (``/api/producteurs/v1``, its own OpenAPI section):
API keys (``Authorization: Bearer ard_…``) read their organisation, declare a new
dataset (its YAML descriptor), submit a version of a
dataset it owns, read the submission's report, approve or reject. Every call goes through
the same operations, hence the same permission table and journal, as the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from ardoise.controlplane import (
    datasets,
    declarations,
    habilitations_api,
    harvests,
    keys,
    organisations,
    queue,
    submissions,
)
from ardoise.controlplane.database import LazyEngine
from ardoise.controlplane.errors import ControlPlaneError, Unauthenticated
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.permissions import Principal
from ardoise.settings import Settings
from ardoise.urls import ROOT

PREFIX = "/api/producteurs/v1"
TAG = "Automatisation (producteurs)"
# a submission is validated in the background (controlplane.queue): 202, then read its URL
QUEUED: dict[str, Any] = {
    "status_code": 202,
    "response_description": "Acceptée : la validation suit en arrière-plan ; lire `url` pour son avancement.",
}


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("Clé d'API absente : en-tête « Authorization: Bearer ard_… ».")
    return secret.strip()


def _submission(s: submissions.Submission, engine: Engine | None = None) -> dict[str, Any]:
    out = asdict(s)
    out["state"] = s.state.value
    out["url"] = ROOT.automation_submission(s.id)
    out["page"] = ROOT.submission_page(s.id)
    if engine is not None:  # the validation job: stage, percentage, French error (#15)
        task = queue.task_of(engine, s.id)
        out["validation"] = task.to_json() if task is not None else None
    return out


def _wake(request: Request) -> Callable[[], None] | None:
    """The in-process worker's wake-up (``web.app``), if this process runs one."""
    worker = getattr(request.app.state, "queue_worker", None)
    return None if worker is None else worker.wake


def _declare_route(
    router: APIRouter,
    settings: Settings,
    lazy: LazyEngine,
    principal: Callable[[Request], Principal],
) -> None:
    @router.post(
        "/organisations/{organisation_id}/jeux",
        summary="Déclarer un nouveau jeu (descripteur YAML)",
        status_code=201,
        description=(
            "Le descripteur s'écrit comme ceux du catalogue (catalog/datasets/*.yaml) ; il est "
            "vérifié par le même validateur avant toute donnée. Le jeu n'a pas de données "
            "avant sa première version approuvée."
        ),
    )
    async def declare(
        request: Request, organisation_id: str, descripteur: UploadFile
    ) -> dict[str, Any]:
        content = await descripteur.read(declarations.MAX_BYTES + 1)
        origin = (descripteur.filename or "descripteur.yaml")[:100]

        def run() -> dict[str, Any]:
            ds = declarations.declare(
                lazy.get(), settings, principal(request), organisation_id, content, origin
            )
            return {"dataset_id": ds.id, "organisation_id": organisation_id, "title": ds.title}

        return await run_in_threadpool(run)


def _harvest_route(
    router: APIRouter, lazy: LazyEngine, principal: Callable[[Request], Principal]
) -> None:
    @router.put(
        "/jeux/{dataset_id}/moisson",
        summary="Programmer la moisson d'un jeu (fichier ou catalogue DCAT)",
        description=(
            "source : l'URL du fichier, ou du catalogue DCAT (avec identifiant : le jeu dans ce "
            "catalogue) ; frequence : quotidienne, hebdomadaire ou mensuelle. Exécutée par "
            "`ardoise moissonner --dues` ; une version n'est soumise que si la source a changé."
        ),
    )
    def schedule(
        request: Request,
        dataset_id: str,
        source: Annotated[str, Body(embed=True, max_length=2000)],
        frequence: Annotated[str, Body(embed=True, max_length=20)] = "quotidienne",
        identifiant: Annotated[str | None, Body(embed=True, max_length=300)] = None,
    ) -> dict[str, Any]:
        who = principal(request)
        with lazy.get().begin() as conn:
            h = harvests.schedule(conn, who, dataset_id, source, frequence, identifiant)
        out = asdict(h)
        out["frequency"] = h.frequency.value
        return out


def build_router(settings: Settings, engine: LazyEngine | None = None) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=[TAG])
    lazy = engine or LazyEngine(settings)

    def principal(request: Request) -> Principal:
        with lazy.get().begin() as conn:
            return keys.principal_of_key(conn, _bearer(request))

    @router.get("/organisations/{organisation_id}", summary="L'organisation de la clé et ses jeux")
    def organisation(request: Request, organisation_id: str) -> dict[str, Any]:
        who = principal(request)
        with lazy.get().connect() as conn:
            org = organisations.get_organisation(conn, who, organisation_id)
            owned = datasets.datasets_of(conn, who, organisation_id)
        return asdict(org) | {"datasets": owned}

    _declare_route(router, settings, lazy, principal)
    _harvest_route(router, lazy, principal)

    @router.post("/jeux/{dataset_id}/versions", summary="Soumettre une version (fichier)", **QUEUED)
    def submit(
        request: Request,
        dataset_id: str,
        fichier: UploadFile,
        note: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> dict[str, Any]:
        who = principal(request)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > (settings.upload_max_mb << 20) + 65536:
            raise ControlPlaneError(
                f"Fichier trop volumineux : plus de {settings.upload_max_mb} Mo."
            )
        found = submissions.submit(
            lazy.get(), settings, who, dataset_id, fichier.file, fichier.filename or "", note,
            wake=_wake(request),
        )  # fmt: skip
        return _submission(found, lazy.get())

    @router.post("/jeux/{dataset_id}/versions/url", summary="Soumettre par URL", **QUEUED)
    def submit_url(
        request: Request,
        dataset_id: str,
        url: Annotated[str, Body(embed=True, max_length=2000)],
        note: Annotated[str | None, Body(embed=True, max_length=2000)] = None,
    ) -> dict[str, Any]:
        found = submissions.submit_url(
            lazy.get(), settings, principal(request), dataset_id, url, note, wake=_wake(request)
        )
        return _submission(found, lazy.get())

    @router.get(
        "/soumissions/{submission_id}", summary="Une soumission, sa validation, son rapport"
    )
    def read(request: Request, submission_id: str) -> dict[str, Any]:
        found = submissions.get_submission(lazy.get(), principal(request), submission_id)
        return _submission(found, lazy.get())

    @router.post("/soumissions/{submission_id}/approbation", summary="Approuver et publier")
    def approve(
        request: Request,
        submission_id: str,
        commentaire: Annotated[str | None, Body(embed=True, max_length=2000)] = None,
    ) -> dict[str, Any]:
        who = principal(request)
        done = submissions.approve(lazy.get(), settings, who, submission_id, commentaire)
        return _submission(done)

    @router.post("/soumissions/{submission_id}/refus", summary="Refuser (motif obligatoire)")
    def reject(
        request: Request,
        submission_id: str,
        commentaire: Annotated[str, Body(embed=True, max_length=2000)],
    ) -> dict[str, Any]:
        done = submissions.reject(
            lazy.get(), principal(request), submission_id, commentaire, Mailer(settings)
        )
        return _submission(done)

    habilitations_api.add_routes(router, lazy, principal)  # issue #16
    return router
