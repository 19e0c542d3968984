"""The account routes: sign-in (OpenID Connect; a local password in development), the
provider's callback, sign-out, and who is signed in. The producers' pages are added by
:mod:`ardoise.espace.producers`.

    GET  /compte/connexion               the sign-in page (?suite=/local/path)
    GET  /compte/connexion/oidc          → the provider (a link: CSP form-action is 'self')
    GET  /compte/oidc/retour             the provider's callback → ?suite
    POST /compte/connexion               local account (ARDOISE_LOCAL_SIGN_IN=1), CSRF
    POST /compte/deconnexion             sign-out, CSRF
    GET  /compte                         the signed-in account
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ardoise.controlplane.errors import Unauthenticated
from ardoise.controlplane.signin import SignIn, local_path
from ardoise.errors import ArdoiseError
from ardoise.espace import habilitations
from ardoise.espace.producers import add_routes
from ardoise.espace.render import NO_STORE, Pages
from ardoise.settings import Settings
from ardoise.urls import serving_base

StatusOf = Callable[[ArdoiseError], int]  # web.errors.status_of
CALLBACK = "/compte/oidc/retour"


def callback_url(settings: Settings, request: Request) -> str:
    """The redirect URI registered with the provider (built on ``public_url`` when set)."""
    return serving_base(settings.public_url_set, str(request.base_url)) + CALLBACK


def _field(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value if isinstance(value, str) else ""


class View:
    """The pages the account routes answer with."""

    def __init__(self, settings: Settings, signin: SignIn, status_of: StatusOf) -> None:
        self.settings = settings
        self.signin = signin
        self.status_of = status_of
        self.pages = Pages(settings, signin)

    def error(self, request: Request, exc: ArdoiseError, title: str = "Erreur") -> Response:
        return self.pages.render(
            request, "erreur.html", title, status=self.status_of(exc), erreur=str(exc)
        )

    def sign_in_page(
        self, request: Request, suite: str = "", erreur: str = "", status: int = 200
    ) -> Response:
        return self.pages.render(
            request,
            "connexion.html",
            "Connexion",
            status=status,
            oidc=self.signin.provider is not None,
            locale=self.settings.local_sign_in,
            suite=local_path(suite),
            erreur=erreur,
        )


def _oidc_routes(router: APIRouter, view: View) -> None:
    settings, signin = view.settings, view.signin

    @router.get("/compte/connexion/oidc")
    def connexion_oidc(request: Request, suite: str = "") -> Response:
        response = RedirectResponse("/", status_code=303, headers=NO_STORE)
        try:
            url = signin.start_oidc(request, response, callback_url(settings, request), suite)
        except ArdoiseError as exc:
            return view.error(request, exc, "Connexion impossible")
        response.headers["location"] = url
        return response

    @router.get(CALLBACK)
    def retour(request: Request, code: str = "", state: str = "") -> Response:
        response = RedirectResponse("/producteurs", status_code=303, headers=NO_STORE)
        if not code:
            why = "Connexion annulée auprès du fournisseur d'identité."
            return view.sign_in_page(request, erreur=why, status=401)
        try:
            target = signin.finish_oidc(
                request, response, callback_url(settings, request), code=code, state=state
            )
        except ArdoiseError as exc:
            page = view.sign_in_page(request, erreur=str(exc), status=view.status_of(exc))
            for value in response.headers.getlist("set-cookie"):  # the used state is dropped
                page.headers.append("set-cookie", value)
            return page
        response.headers["location"] = target
        return response


def build_router(settings: Settings, signin: SignIn, status_of: StatusOf) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    view = View(settings, signin, status_of)
    _oidc_routes(router, view)
    add_routes(router, settings, signin, status_of)
    habilitations.add_routes(router, settings, signin, status_of)  # issue #16

    @router.get("/compte/connexion")
    def connexion(request: Request, suite: str = "") -> Response:
        return view.sign_in_page(request, suite)

    @router.post("/compte/connexion")
    async def connexion_locale(request: Request) -> Response:
        try:
            form = await signin.form(request)
        except ArdoiseError as exc:
            return view.sign_in_page(request, erreur=str(exc), status=status_of(exc))
        suite = local_path(_field(form, "suite"))
        response = RedirectResponse(suite, status_code=303, headers=NO_STORE)
        try:
            signin.sign_in_password(
                request, response, _field(form, "email"), _field(form, "mot_de_passe")
            )
        except ArdoiseError as exc:
            return view.sign_in_page(request, suite, erreur=str(exc), status=status_of(exc))
        return response

    @router.post("/compte/deconnexion")
    async def deconnexion(request: Request) -> Response:
        try:
            await signin.form(request)
        except ArdoiseError as exc:
            return view.error(request, exc)
        response = view.pages.redirect("/compte/connexion")
        signin.sign_out(request, response)
        return response

    @router.get("/compte")
    def compte(request: Request) -> Response:
        try:
            signin.principal(request)
        except Unauthenticated:
            return view.pages.redirect("/compte/connexion?suite=/compte")
        except ArdoiseError as exc:  # a deactivated account: its sessions are refused
            return view.error(request, exc, "Compte désactivé")
        return view.pages.render(request, "compte.html", "Mon compte")

    return router
