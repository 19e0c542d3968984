"""The habilitation pages (issue #16): the DataPass path, signed in, and the public
register. Every page reads and acts through the control plane's operations (permission
table, journal, audit chain, DPO emails); every form carries the session's CSRF token; a
refusal is a French page with the table's status, never a 500.

    GET  /habilitations                                 the public register (no sign-in)
    GET  /producteurs/habilitations                     mine, new request, to instruct
    POST /producteurs/habilitations                     a new request (draft or submitted)
    GET  /producteurs/habilitations/{id}                details, thread, the forms allowed
    POST /producteurs/habilitations/{id}/modifier       amend (and resubmit)
    POST /producteurs/habilitations/{id}/message        a message in the thread
    POST /producteurs/habilitations/{id}/{event}        soumettre, demander_modifications,
                                                        valider, refuser, suspendre,
                                                        lever_suspension, revoquer
    POST /producteurs/habilitations/{id}/jeton          issue (or rotate) the token: shown once
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData

from ardoise.controlplane import habilitation_tokens as hab_tokens
from ardoise.controlplane import habilitations as hab
from ardoise.controlplane import organisations, register
from ardoise.controlplane.errors import ControlPlaneError, Unauthenticated
from ardoise.controlplane.habilitations import LABELS, Event, HabilitationState
from ardoise.controlplane.instruction import Instruction
from ardoise.controlplane.permissions import Action, Principal, allowed
from ardoise.controlplane.signin import SignIn
from ardoise.errors import ArdoiseError
from ardoise.espace.render import Pages
from ardoise.settings import Settings
from ardoise.urls import ROOT

StatusOf = Callable[[ArdoiseError], int]
BASE = "/producteurs/habilitations"
EVENT_LABELS = {
    "soumettre": "soumission",
    "demander_modifications": "modifications demandées",
    "valider": "validation",
    "refuser": "refus",
    "suspendre": "suspension",
    "lever_suspension": "suspension levée",
    "revoquer": "révocation",
    "expirer": "expiration",
}
FOLLOW_UPS = {  # the instructors' moves after validation, by state
    HabilitationState.VALIDEE: [("suspendre", "Suspendre"), ("revoquer", "Révoquer")],
    HabilitationState.SUSPENDUE: [("lever_suspension", "Lever la suspension"),
                                  ("revoquer", "Révoquer")],
}  # fmt: skip
FORM_EVENTS = {e.value: e for e in Event if e is not Event.EXPIRER}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(form: FormData, name: str, what: str) -> int:
    value = _text(form, name)
    if not value.isdigit() or len(value) > 9:
        raise ControlPlaneError(f"{what} : un nombre entier positif est attendu.")
    return int(value)


def request_of(form: FormData) -> hab.Request:
    """The request a form filled in (checked by the control plane)."""
    return hab.Request(
        base_legale=_text(form, "base_legale"),
        reference=_text(form, "reference"),
        finalite=_text(form, "finalite"),
        scopes=tuple(s for s in form.getlist("scopes") if isinstance(s, str)),
        volume_annuel=_number(form, "volume_annuel", "Volume annuel"),
        conservation_mois=_number(form, "conservation_mois", "Durée de conservation"),
        technique_nom=_text(form, "technique_nom"),
        technique_email=_text(form, "technique_email"),
        dpd_nom=_text(form, "dpd_nom"),
        dpd_email=_text(form, "dpd_email"),
    )


def _day(value: str) -> datetime:
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        raise ControlPlaneError("Échéance : une date AAAA-MM-JJ est attendue.") from None
    return day.replace(hour=23, minute=59, tzinfo=UTC)


class HabilitationPages:
    def __init__(self, settings: Settings, signin: SignIn, status_of: StatusOf) -> None:
        self.settings = settings
        self.signin = signin
        self.status_of = status_of
        self.pages = Pages(settings, signin)
        self.registry = hab_tokens.Registry(settings)

    def flow(self) -> Instruction:
        return Instruction(self.signin.engine, self.registry.get, self.signin.mailer)

    def guard(self, request: Request, build: Callable[[Principal], Response]) -> Response:
        try:
            return build(self.signin.principal(request))
        except Unauthenticated:
            return self.pages.redirect(f"/compte/connexion?suite={request.url.path}")
        except ArdoiseError as exc:
            return self.pages.render(
                request, "erreur.html", "Action impossible", self.status_of(exc), erreur=str(exc)
            )

    def public_register(self, request: Request) -> Response:
        with self.signin.engine.connect() as conn:
            found = register.entries(conn, Principal())
        return self.pages.render(
            request, "registre.html", "Registre des habilitations", registre=found, etats=LABELS
        )

    def listing(self, request: Request, **extra: Any) -> Response:
        def build(who: Principal) -> Response:
            with self.signin.engine.connect() as conn:
                orgs = organisations.list_organisations(conn, who)
                mine = [
                    h for o in orgs if allowed(who, Action.HABILITATION_LIRE, o.id)
                    for h in hab.list_for(conn, who, o.id)
                ]  # fmt: skip
                queue = None
                if hab.may_instruct(who):
                    every = hab.list_for(conn, who, None)
                    queue = [h for h in every if h.state is HabilitationState.SOUMISE]
                    mine = every
            asking = [o for o in orgs if allowed(who, Action.HABILITATION_DEMANDER, o.id)]
            return self.pages.render(
                request, "habilitations.html", "Habilitations", liste=mine, a_instruire=queue,
                demandeuses=asking, etats=LABELS, tous_scopes=hab.SCOPES, **extra,
            )  # fmt: skip

        return self.guard(request, build)

    def detail(self, request: Request, habilitation_id: str, **extra: Any) -> Response:
        def build(who: Principal) -> Response:
            engine = self.signin.engine
            with engine.connect() as conn:
                found = hab.get(conn, who, habilitation_id)
                messages = hab.thread(conn, who, habilitation_id)
            partner = allowed(who, Action.HABILITATION_DEMANDER, found.organisation_id)
            editable = {HabilitationState.BROUILLON, HabilitationState.MODIFICATIONS}
            decide = hab.may_instruct(who) and allowed(
                who, Action.HABILITATION_DECIDER, "ministere"
            )
            issue = (
                allowed(who, Action.JETON_EMETTRE, found.organisation_id)
                and found.state is HabilitationState.VALIDEE
            )
            suspend = allowed(who, Action.HABILITATION_SUSPENDRE, "ministere")
            listed = hab_tokens.tokens_of(engine, self.registry.get(), who, habilitation_id)
            return self.pages.render(
                request, "habilitation.html", f"Habilitation : {found.request.finalite}",
                h=found, fil=messages, etats=LABELS, evenements=EVENT_LABELS,
                modifiable=partner and found.state in editable,
                decider=decide and found.state is HabilitationState.SOUMISE,
                suites=FOLLOW_UPS.get(found.state, []) if suspend else [],
                emettre=issue, jetons=listed, maintenant=datetime.now(UTC),
                tous_scopes=hab.SCOPES,
                echeance=(datetime.now(UTC) + timedelta(days=365)).date().isoformat(),
                **extra,
            )  # fmt: skip

        return self.guard(request, build)

    async def posted(
        self, request: Request, act: Callable[[Principal, FormData], Response]
    ) -> Response:
        """A form's action: CSRF checked, then ``act`` in a thread, errors as pages."""
        try:
            form = await self.signin.form(request)
        except ArdoiseError as exc:
            return self.pages.render(
                request, "erreur.html", "Action impossible", self.status_of(exc), erreur=str(exc)
            )
        return await run_in_threadpool(self.guard, request, lambda who: act(who, form))

    def create(self, who: Principal, form: FormData) -> Response:
        with self.signin.engine.begin() as conn:
            created = hab.create(conn, who, _text(form, "organisation"), request_of(form))
        if _text(form, "soumettre"):
            self.flow().submit(who, created.id)
        return self.pages.redirect(ROOT.habilitation_page(created.id))

    def amend(self, who: Principal, form: FormData, habilitation_id: str) -> Response:
        with self.signin.engine.begin() as conn:
            hab.amend(conn, who, habilitation_id, request_of(form))
        if _text(form, "soumettre"):
            self.flow().submit(who, habilitation_id)
        return self.pages.redirect(ROOT.habilitation_page(habilitation_id))

    def message(self, who: Principal, form: FormData, habilitation_id: str) -> Response:
        with self.signin.engine.begin() as conn:
            hab.add_message(conn, who, habilitation_id, _text(form, "message"))
        return self.pages.redirect(ROOT.habilitation_page(habilitation_id) + "#fil")

    def decide(self, who: Principal, form: FormData, habilitation_id: str, event: str) -> Response:
        chosen = FORM_EVENTS.get(event)
        if chosen is None:
            raise ControlPlaneError(f"Action inconnue : « {event} ».")
        flow, text = self.flow(), _text(form, "message")
        if chosen is Event.VALIDER:
            wanted = [s for s in form.getlist("scopes") if isinstance(s, str)]
            flow.grant(who, habilitation_id, wanted, _day(_text(form, "echeance")), text)
        elif chosen is Event.DEMANDER_MODIFICATIONS:
            flow.ask_changes(who, habilitation_id, text)
        elif chosen is Event.REFUSER:
            flow.refuse(who, habilitation_id, text)
        else:
            flow.apply(who, habilitation_id, chosen, text)
        return self.pages.redirect(ROOT.habilitation_page(habilitation_id))

    def token(self, who: Principal, request: Request, habilitation_id: str) -> Response:
        rate = self.settings.scolarite_rate_limit_per_second
        engine, registry = self.signin.engine, self.registry.get()
        before = len(hab_tokens.tokens_of(engine, registry, who, habilitation_id))
        issued, secret = hab_tokens.issue(engine, registry, who, habilitation_id, rate_limit=rate)
        return self.detail(request, habilitation_id, secret=secret, jeton=issued,
                           rotation=before > 0)  # fmt: skip


def add_routes(router: APIRouter, settings: Settings, signin: SignIn, status_of: StatusOf) -> None:
    pages = HabilitationPages(settings, signin, status_of)

    def public(request: Request) -> Response:
        return pages.public_register(request)

    def listing(request: Request) -> Response:
        return pages.listing(request)

    def detail(request: Request, habilitation_id: str) -> Response:
        return pages.detail(request, habilitation_id)

    async def create(request: Request) -> Response:
        return await pages.posted(request, pages.create)

    async def amend(request: Request, habilitation_id: str) -> Response:
        return await pages.posted(request, lambda w, f: pages.amend(w, f, habilitation_id))

    async def message(request: Request, habilitation_id: str) -> Response:
        return await pages.posted(request, lambda w, f: pages.message(w, f, habilitation_id))

    async def token(request: Request, habilitation_id: str) -> Response:
        return await pages.posted(request, lambda w, _f: pages.token(w, request, habilitation_id))

    async def decide(request: Request, habilitation_id: str, event: str) -> Response:
        return await pages.posted(request, lambda w, f: pages.decide(w, f, habilitation_id, event))

    router.add_api_route(ROOT.habilitations_register(), public, methods=["GET"])
    router.add_api_route(BASE, listing, methods=["GET"])
    router.add_api_route(BASE, create, methods=["POST"])
    router.add_api_route(f"{BASE}/{{habilitation_id}}", detail, methods=["GET"])
    router.add_api_route(f"{BASE}/{{habilitation_id}}/modifier", amend, methods=["POST"])
    router.add_api_route(f"{BASE}/{{habilitation_id}}/message", message, methods=["POST"])
    router.add_api_route(f"{BASE}/{{habilitation_id}}/jeton", token, methods=["POST"])
    router.add_api_route(f"{BASE}/{{habilitation_id}}/{{event}}", decide, methods=["POST"])
