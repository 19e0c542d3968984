"""The producers' pages (issue #15): my organisations, an organisation (its datasets, the
upload form, members, API keys shown once, journal), submissions and their reports, the
review queue with approve / refuse. Every page reads through the control plane's
operations, so the permission table and the journal are the same as the CLI's and the
Automation API's; a refusal is a French page with the table's status, never a 500.

    GET  /producteurs                                   my organisations
    GET  /producteurs/organisations/{org}               datasets, upload, members, keys, journal
    POST /producteurs/organisations/{org}/soumettre     upload a version (multipart, CSRF)
    POST /producteurs/organisations/{org}/declarer      declare a new dataset (YAML, CSRF)
    POST /producteurs/organisations/{org}/cles          new API key (its secret shown once)
    POST /producteurs/organisations/{org}/cles/{id}/revoquer
    POST /producteurs/organisations/{org}/membres       add a member (email, role)
    GET  /producteurs/soumissions                       the submissions of my organisations
    GET  /producteurs/soumissions/{id}                  a submission, its report, the review form
    POST /producteurs/soumissions/{id}/approuver | /refuser
    GET  /producteurs/relecture                         what waits for me (not my own)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from ardoise.controlplane import datasets, declarations, journal, keys, organisations, submissions
from ardoise.controlplane.accounts import find_account
from ardoise.controlplane.errors import ControlPlaneError, Forbidden, Unauthenticated
from ardoise.controlplane.permissions import Action, Principal, Role, allowed
from ardoise.controlplane.queue import Stage, task_of
from ardoise.controlplane.signin import SignIn
from ardoise.errors import ArdoiseError
from ardoise.espace.render import Pages
from ardoise.settings import Settings
from ardoise.urls import ROOT

StatusOf = Callable[[ArdoiseError], int]
STATES = {
    "en_attente": "En attente de validation",
    "echouee": "Validation échouée",
    "a_relire": "À relire",
    "bloquee": "Bloquée (problèmes bloquants)",
    "refusee": "Refusée",
    "publiee": "Publiée",
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


class Space:
    def __init__(self, settings: Settings, signin: SignIn, status_of: StatusOf) -> None:
        self.settings = settings
        self.signin = signin
        self.status_of = status_of
        self.pages = Pages(settings, signin)

    def guard(self, request: Request, build: Callable[[Principal], Response]) -> Response:
        """``build``'s page for the signed-in principal; sign-in first, errors as pages."""
        try:
            return build(self.signin.principal(request))
        except Unauthenticated:
            return self.pages.redirect(f"/compte/connexion?suite={request.url.path}")
        except ArdoiseError as exc:
            return self.refused(request, exc)

    def refused(self, request: Request, exc: ArdoiseError) -> Response:
        return self.pages.render(
            request, "erreur.html", "Action impossible", self.status_of(exc), erreur=str(exc)
        )

    def mine(self, principal: Principal) -> list[organisations.Organisation]:
        with self.signin.engine.connect() as conn:
            return organisations.list_organisations(conn, principal)

    def home(self, request: Request) -> Response:
        def build(who: Principal) -> Response:
            orgs = self.mine(who)
            with self.signin.engine.connect() as conn:
                owned = {o.id: datasets.datasets_of(conn, who, o.id) for o in orgs}
            roles = {o.id: sorted(r.value for r in who.roles_in(o.id)) for o in orgs}
            return self.pages.render(
                request, "producteurs.html", "Mes organisations", orgs=orgs, jeux=owned, roles=roles
            )

        return self.guard(request, build)

    def organisation(self, request: Request, org_id: str, **extra: Any) -> Response:
        def build(who: Principal) -> Response:
            with self.signin.engine.connect() as conn:
                org = organisations.get_organisation(conn, who, org_id)
                admin = allowed(who, Action.CLE_GERER, org_id)
                context: dict[str, Any] = {
                    "org": org,
                    "jeux": datasets.datasets_of(conn, who, org_id),
                    "membres": organisations.members(conn, who, org_id),
                    "cles": keys.list_keys(conn, who, org_id) if admin else [],
                    "journal": journal.entries(conn, who, org_id, 50) if admin else [],
                }
            return self.pages.render(
                request,
                "organisation.html",
                org.name,
                **context,
                admin=admin,
                peut_soumettre=allowed(who, Action.VERSION_SOUMETTRE, org_id),
                peut_declarer=allowed(who, Action.JEU_DECLARER, org_id),
                roles=[r.value for r in Role],
                scopes=["lire", "soumettre", "relire"],
                **extra,
            )

        return self.guard(request, build)

    async def submit(self, request: Request, org_id: str) -> Response:
        try:
            form = await self.signin.form(request)
        except ArdoiseError as exc:
            return self.refused(request, exc)
        upload = form.get("fichier")
        dataset_id = _text(form, "jeu")

        url = _text(form, "url")

        def build(who: Principal) -> Response:
            with self.signin.engine.connect() as conn:
                if dataset_id not in datasets.datasets_of(conn, who, org_id):
                    raise ControlPlaneError(
                        f"Le jeu « {dataset_id} » n'est pas à cette organisation."
                    )
            engine, note = self.signin.engine, _text(form, "note") or None
            worker = getattr(request.app.state, "queue_worker", None)  # web.app (#15)
            wake = None if worker is None else worker.wake
            if url:
                found = submissions.submit_url(
                    engine, self.settings, who, dataset_id, url, note, wake=wake
                )
            elif isinstance(upload, UploadFile) and upload.filename:
                found = submissions.submit(
                    engine, self.settings, who, dataset_id, upload.file, upload.filename, note,
                    wake=wake,
                )  # fmt: skip
            else:
                raise ControlPlaneError("Choisissez le fichier à soumettre, ou donnez son URL.")
            return self.pages.redirect(ROOT.submission_page(found.id))

        return await run_in_threadpool(self.guard, request, build)

    async def declare(self, request: Request, org_id: str) -> Response:
        try:
            form = await self.signin.form(request)
        except ArdoiseError as exc:
            return self.refused(request, exc)
        upload, text = form.get("fichier_descripteur"), _text(form, "descripteur")
        content: bytes | str = text
        origin = "descripteur"
        if isinstance(upload, UploadFile) and upload.filename:
            content, origin = await upload.read(declarations.MAX_BYTES + 1), upload.filename[:100]

        def build(who: Principal) -> Response:
            try:
                ds = declarations.declare(
                    self.signin.engine, self.settings, who, org_id, content, origin
                )
            except (Unauthenticated, Forbidden):
                raise
            except ControlPlaneError as exc:  # shown on the form, the text kept
                return self.organisation(request, org_id, erreur=str(exc), descripteur=text)
            message = f"Jeu « {ds.id} » déclaré : soumettez sa première version."
            return self.organisation(request, org_id, message=message)

        return await run_in_threadpool(self.guard, request, build)

    async def new_key(self, request: Request, org_id: str) -> Response:
        try:
            form = await self.signin.form(request)
        except ArdoiseError as exc:
            return self.refused(request, exc)

        def build(who: Principal) -> Response:
            scopes = [str(s) for s in form.getlist("scopes") if isinstance(s, str)]
            with self.signin.engine.begin() as conn:
                key, secret = keys.create_key(conn, who, org_id, _text(form, "intitule"), scopes)
            return self.organisation(request, org_id, nouvelle_cle=key, secret=secret)

        return await run_in_threadpool(self.guard, request, build)

    async def revoke_key(self, request: Request, org_id: str, key_id: str) -> Response:
        try:
            await self.signin.form(request)
        except ArdoiseError as exc:
            return self.refused(request, exc)

        def build(who: Principal) -> Response:
            with self.signin.engine.begin() as conn:
                keys.revoke_key(conn, who, org_id, key_id)
            return self.organisation(request, org_id, message="Clé révoquée.")

        return await run_in_threadpool(self.guard, request, build)

    async def add_member(self, request: Request, org_id: str) -> Response:
        try:
            form = await self.signin.form(request)
        except ArdoiseError as exc:
            return self.refused(request, exc)

        def build(who: Principal) -> Response:
            with self.signin.engine.begin() as conn:
                account = find_account(conn, _text(form, "email"))
                organisations.add_member(conn, who, org_id, account.id, _text(form, "role"))
            return self.organisation(request, org_id, message=f"{account.email} ajouté.")

        return await run_in_threadpool(self.guard, request, build)

    def submission_list(self, request: Request, queue: bool) -> Response:
        def build(who: Principal) -> Response:
            found: list[submissions.Submission] = []
            for org in self.mine(who):
                if allowed(who, Action.SOUMISSION_LIRE, org.id):
                    found += submissions.list_submissions(self.signin.engine, who, org.id)
            if queue:
                found = [
                    s for s in found
                    if s.state is submissions.SubmissionState.A_RELIRE
                    and s.account_id != who.account_id
                    and allowed(who, Action.SOUMISSION_RELIRE, s.organisation_id)
                ]  # fmt: skip
            title = "À relire" if queue else "Soumissions"
            return self.pages.render(
                request, "soumissions.html", title, soumissions=found, etats=STATES, file=queue
            )

        return self.guard(request, build)

    def submission(self, request: Request, submission_id: str, **extra: Any) -> Response:
        def build(who: Principal) -> Response:
            found = submissions.get_submission(self.signin.engine, who, submission_id)
            may_review = (
                allowed(who, Action.SOUMISSION_RELIRE, found.organisation_id)
                and found.account_id != who.account_id
                and found.state is submissions.SubmissionState.A_RELIRE
            )
            return self.pages.render(
                request,
                "soumission.html",
                f"Soumission du jeu « {found.dataset_id} »",
                s=found,
                etats=STATES,
                tache=task_of(self.signin.engine, found.id),
                etapes=list(Stage),
                relire=may_review,
                **extra,
            )

        return self.guard(request, build)

    async def review(self, request: Request, submission_id: str, approve: bool) -> Response:
        try:
            form = await self.signin.form(request)
        except ArdoiseError as exc:
            return self.refused(request, exc)
        comment = _text(form, "commentaire") or None

        def build(who: Principal) -> Response:
            engine, mailer = self.signin.engine, self.signin.mailer
            try:
                if approve:
                    submissions.approve(engine, self.settings, who, submission_id, comment, mailer)
                else:
                    submissions.reject(engine, who, submission_id, comment or "", mailer)
            except Unauthenticated:
                raise
            except ArdoiseError as exc:
                return self.submission(request, submission_id, erreur=str(exc))
            return self.pages.redirect(ROOT.submission_page(submission_id))

        return await run_in_threadpool(self.guard, request, build)


def add_routes(router: APIRouter, settings: Settings, signin: SignIn, status_of: StatusOf) -> None:
    space = Space(settings, signin, status_of)
    base = ROOT.producers_space()
    router.add_api_route(base, space.home, methods=["GET"])

    def organisation(request: Request, org_id: str) -> Response:
        return space.organisation(request, org_id)

    def submission(request: Request, submission_id: str) -> Response:
        return space.submission(request, submission_id)

    router.add_api_route(f"{base}/organisations/{{org_id}}", organisation, methods=["GET"])
    router.add_api_route(
        f"{base}/organisations/{{org_id}}/soumettre", space.submit, methods=["POST"]
    )
    router.add_api_route(
        f"{base}/organisations/{{org_id}}/declarer", space.declare, methods=["POST"]
    )
    router.add_api_route(f"{base}/organisations/{{org_id}}/cles", space.new_key, methods=["POST"])
    router.add_api_route(
        f"{base}/organisations/{{org_id}}/cles/{{key_id}}/revoquer",
        space.revoke_key,
        methods=["POST"],
    )
    router.add_api_route(
        f"{base}/organisations/{{org_id}}/membres", space.add_member, methods=["POST"]
    )

    def listing(request: Request) -> Response:
        return space.submission_list(request, queue=False)

    def queue(request: Request) -> Response:
        return space.submission_list(request, queue=True)

    async def approve(request: Request, submission_id: str) -> Response:
        return await space.review(request, submission_id, approve=True)

    async def refuse(request: Request, submission_id: str) -> Response:
        return await space.review(request, submission_id, approve=False)

    router.add_api_route(f"{base}/soumissions", listing, methods=["GET"])
    router.add_api_route(f"{base}/relecture", queue, methods=["GET"])
    router.add_api_route(f"{base}/soumissions/{{submission_id}}", submission, methods=["GET"])
    router.add_api_route(
        f"{base}/soumissions/{{submission_id}}/approuver", approve, methods=["POST"]
    )
    router.add_api_route(f"{base}/soumissions/{{submission_id}}/refuser", refuse, methods=["POST"])
