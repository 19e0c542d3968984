"""The families' view (issue #16): a parent signs in through FranceConnect and sees, for
each child the registry links to them, the checks of that child's enrolment.

    GET  /mes-enfants                      the children linked to the signed-in person
    GET  /mes-enfants/enfant/{reference}   one child's checks (reference: opaque, salted)
    GET  /mes-enfants/connexion            → the provider (FranceConnect in production)
    GET  /mes-enfants/retour               the provider's callback
    POST /mes-enfants/deconnexion          sign-out, CSRF

Who is linked to whom: :mod:`ardoise.scolarite.representatives` (its matching rule). What a
parent sees: :func:`ardoise.scolarite.checks.checks_of`, read from the audit journal; who
checked and why: the :data:`~ardoise.scolarite.checks.ContextOf` given at assembly. A
child's page is reached by a reference derived from the audit salt, never by an identifier:
a reference that is not one of the person's children is counted (per person, never per
address) by :class:`~ardoise.scolarite.family_guard.FamilyGuard`, slowed then refused, and
journaled; so are repeated sign-ins.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from ardoise.controlplane.oidc import Pending, Provider
from ardoise.controlplane.permissions import Action, Principal, authorize
from ardoise.errors import ArdoiseError
from ardoise.scolarite.audit import pupil_hash
from ardoise.scolarite.checks import ContextOf, checks_of, token_contexts
from ardoise.scolarite.family_guard import FamilyGuard
from ardoise.scolarite.representatives import Child, Person, links_of
from ardoise.scolarite.service import ScolariteService
from ardoise.settings import Settings
from ardoise.transparence.family_session import FamilySession, FamilySessions, signed_in
from ardoise.transparence.render import NO_STORE, Pages
from ardoise.urls import serving_base

StatusOf = Callable[[ArdoiseError], int]
Contexts = Callable[[Engine], ContextOf]  # the registry → who checked, and why
HOME = "/mes-enfants"
CALLBACK = "/mes-enfants/retour"
SERVICE = "Vérifications de l'inscription de mes enfants"


def franceconnect_of(settings: Settings) -> Provider | None:
    """The families' provider (a second OIDC client), or None when not configured."""
    if not settings.franceconnect_issuer.strip():
        return None
    return Provider(
        settings.franceconnect_issuer.strip(),
        settings.franceconnect_client_id,
        settings.franceconnect_client_secret.reveal(),
        settings.franceconnect_scopes,
    )


def reference(salt: str, identifiant: str) -> str:
    """The opaque reference of a child's page (a prefix of its audit hash)."""
    return pupil_hash(salt, identifiant)[:24]


class Families:
    def __init__(
        self,
        settings: Settings,
        service: ScolariteService | None,
        status_of: StatusOf,
        contexts: Contexts = token_contexts,
    ) -> None:
        self.settings = settings
        self.service = service
        self.status_of = status_of
        self.contexts = contexts
        self.provider = franceconnect_of(settings)
        self.sessions = FamilySessions(settings)
        self.pages = Pages(settings)
        self.clock: Callable[[], float] = time.time

    def registry(self) -> Engine | None:
        return self.service.engine if self.service is not None else None

    def guard(self) -> FamilyGuard:
        """The throttle and journal (call once the registry is known to exist)."""
        engine = self.registry()
        assert self.service is not None and engine is not None
        return FamilyGuard(engine, self.service.salt, self.settings.famille_seuil)

    def page(
        self, request: Request, template: str, title: str, status: int = 200, **context: object
    ) -> Response:
        session, new = self.sessions.ensure(request)
        response = self.pages.render(
            template,
            title,
            status,
            service=SERVICE,
            accueil=HOME,
            csrf=session.csrf,
            deconnexion="/mes-enfants/deconnexion" if session.signed_in else "",
            **context,
        )
        if new:
            self.sessions.write(request, response, session)
        return response

    def error(self, request: Request, message: str, status: int, title: str = "Erreur") -> Response:
        return self.page(request, "erreur.html", title, status, erreur=message)

    def callback(self, request: Request) -> str:
        return serving_base(self.settings.public_url_set, str(request.base_url)) + CALLBACK

    def person(self, request: Request) -> Person | None:
        session = self.sessions.read(request)
        return session.person() if session is not None and session.signed_in else None

    def children(self, person: Person) -> list[Child]:
        """The person's children, after the declared gate of the permission table."""
        guard = self.guard()
        who = guard.person(person.issuer, person.subject)
        authorize(Principal(account_id="personne:" + who[:16]), Action.FAMILLE_CONSULTER, None)
        with guard.engine.connect() as conn:
            return links_of(conn, person)


def _home(view: Families, request: Request) -> Response:
    title = "Mes enfants"
    engine = view.registry()
    if view.provider is None:
        return view.page(request, "famille.html", title, configure=False)
    if engine is None or view.service is None:
        message = "Le registre des inscriptions est indisponible : réessayez plus tard."
        return view.error(request, message, 503, title)
    person = view.person(request)
    if person is None:
        return view.page(request, "famille.html", title, configure=True, connecte=False)
    guard, salt = view.guard(), view.service.salt
    kids = view.children(person)
    contexts = view.contexts(engine)
    shown = [
        {
            "reference": reference(salt, c.identifiant),
            "prenom": c.prenom,
            "nom": c.nom,
            "verifications": len(checks_of(engine, salt, c.identifiant, contexts)),
        }
        for c in kids
    ]
    who = guard.person(person.issuer, person.subject)
    guard.journal(who, "liste" if kids else "sans_lien")
    return view.page(
        request,
        "famille.html",
        title,
        configure=True,
        connecte=True,
        enfants=shown,
        synthetique=view.service.synthetic,
    )


def _child(view: Families, request: Request, ref: str) -> Response:
    engine, person = view.registry(), view.person(request)
    if engine is None or view.service is None or person is None:
        return RedirectResponse(HOME, status_code=303, headers=NO_STORE)
    guard, salt, now = view.guard(), view.service.salt, view.clock()
    who = guard.person(person.issuer, person.subject)
    verdict = guard.verdict("reference", who, now)
    if verdict.blocked:
        guard.journal(who, "enumeration", status=429, flag="enumeration")
        message = (
            "Trop d'adresses d'enfants inconnues demandées en peu de temps : "
            f"réessayez dans {verdict.retry_after} s."
        )
        page = view.error(request, message, 429, "Trop de tentatives")
        page.headers["Retry-After"] = str(verdict.retry_after)
        return page
    child = next((c for c in view.children(person) if reference(salt, c.identifiant) == ref), None)
    if child is None:
        guard.count("reference", who, now)
        flag = "enumeration" if verdict.flagged else None
        guard.journal(who, "reference_inconnue", status=404, flag=flag)
        message = "Aucun de vos enfants ne correspond à cette adresse."
        return view.error(request, message, 404, "Enfant introuvable")
    found = checks_of(engine, salt, child.identifiant, view.contexts(engine))
    guard.journal(who, "consultation")
    title = f"{child.prenom} {child.nom}"
    return view.page(request, "enfant.html", title, enfant=child, verifications=found)


def _sign_in(view: Families, request: Request) -> Response:
    if view.provider is None:
        return RedirectResponse(HOME, status_code=303, headers=NO_STORE)
    session, _new = view.sessions.ensure(request)
    try:
        pending = view.provider.start(view.callback(request))
    except ArdoiseError as exc:
        return view.error(request, str(exc), view.status_of(exc), "Connexion impossible")
    response = RedirectResponse(pending.url, status_code=303, headers=NO_STORE)
    started = replace(
        session,
        oidc_state=pending.state,
        oidc_nonce=pending.nonce,
        oidc_verifier=pending.code_verifier,
    )
    view.sessions.write(request, response, started)
    return response


def _finish(view: Families, request: Request, code: str, state: str) -> Response:
    session = view.sessions.read(request)
    if view.provider is None or view.service is None or view.registry() is None:
        return RedirectResponse(HOME, status_code=303, headers=NO_STORE)
    if not code:
        return view.error(request, "Connexion annulée auprès de FranceConnect.", 401)
    if session is None or not session.oidc_state:
        why = "Connexion interrompue (session absente ou expirée) : recommencez."
        return view.error(request, why, 401, "Connexion impossible")
    pending = Pending("", session.oidc_state, session.oidc_nonce, session.oidc_verifier)
    try:
        claims = view.provider.claims(pending, view.callback(request), code=code, state=state)
    except ArdoiseError as exc:
        page = view.error(request, str(exc), view.status_of(exc), "Connexion impossible")
        view.sessions.write(request, page, replace(session, oidc_state=""))  # used once
        return page
    fresh: FamilySession = signed_in(session, view.provider.issuer, claims)
    guard, now = view.guard(), view.clock()
    who = guard.person(fresh.issuer, fresh.subject)
    verdict = guard.verdict("connexion", who, now)
    if verdict.blocked:
        guard.journal(who, "connexion_refusee", status=429, flag="connexions_repetees")
        message = f"Trop de connexions en peu de temps : réessayez dans {verdict.retry_after} s."
        page = view.error(request, message, 429, "Trop de tentatives")
        page.headers["Retry-After"] = str(verdict.retry_after)
        view.sessions.write(request, page, replace(session, oidc_state=""))
        return page
    guard.count("connexion", who, now)
    flag = "connexions_repetees" if verdict.flagged else None
    guard.journal(who, "connexion", flag=flag)
    response = RedirectResponse(HOME, status_code=303, headers=NO_STORE)
    view.sessions.write(request, response, fresh)
    return response


def build_router(view: Families) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(HOME)
    def mes_enfants(request: Request) -> Response:
        return _home(view, request)

    @router.get("/mes-enfants/enfant/{ref}")
    def enfant(request: Request, ref: str) -> Response:
        return _child(view, request, ref[:64])

    @router.get("/mes-enfants/connexion")
    def connexion(request: Request) -> Response:
        return _sign_in(view, request)

    @router.get(CALLBACK)
    def retour(request: Request, code: str = "", state: str = "") -> Response:
        return _finish(view, request, code[:2000], state[:500])

    @router.post("/mes-enfants/deconnexion")
    async def deconnexion(request: Request) -> Response:
        session = view.sessions.read(request)
        form = await request.form(max_fields=20)
        token = form.get("csrf")
        if (
            session is None
            or not isinstance(token, str)
            or not hmac.compare_digest(session.csrf.encode(), token.encode())
        ):
            message = (
                "Formulaire expiré ou envoyé depuis un autre site (jeton CSRF absent ou "
                "invalide) : rechargez la page et recommencez."
            )
            return view.error(request, message, 403)
        response = RedirectResponse(HOME, status_code=303, headers=NO_STORE)
        view.sessions.clear(request, response)
        return response

    return router
