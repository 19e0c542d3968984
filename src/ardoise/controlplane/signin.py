"""Who is signed in: the one object every signed-in page asks (the producers' space, the
account and habilitation pages of issue #16).

    signin = SignIn(settings)              # one per app: ``app.state.signin``
    principal = signin.principal(request)  # Unauthenticated (401) when nobody is signed in
    form = await signin.form(request)      # the posted form, its CSRF token checked
    url = signin.start_oidc(request, response, redirect_uri, next_url)
    signin.finish_oidc(request, response, redirect_uri, code=…, state=…)
    signin.sign_in_password(request, response, email, password)   # local_sign_in only
    signin.sign_out(request, response)

Sign-ins and sign-outs are journaled (``session.ouvrir`` / ``session.fermer``) with a
digest of the session id, never the cookie.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from ardoise.controlplane import accounts, csrf
from ardoise.controlplane.database import LazyEngine
from ardoise.controlplane.errors import (
    AccountDisabled,
    AccountNotFound,
    ControlPlaneError,
    Unauthenticated,
)
from ardoise.controlplane.journal import record
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.oidc import Pending, Provider, provider_of
from ardoise.controlplane.permissions import Principal
from ardoise.controlplane.session import Session, Sessions, new_session, with_pending
from ardoise.settings import Settings

MAX_FORM_FIELDS = 200


def local_path(url: str) -> str:
    """``url`` if it is a path of this site, else the producers' space (no open redirect).

    >>> local_path("/producteurs/soumissions/3"), local_path("https://ailleurs.example/")
    ('/producteurs/soumissions/3', '/producteurs')
    >>> local_path("//ailleurs.example/x"), local_path("/\\\\ailleurs.example")
    ('/producteurs', '/producteurs')
    """
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/producteurs"


class SignIn:
    def __init__(self, settings: Settings, engine: LazyEngine | None = None) -> None:
        self.settings = settings
        self.sessions = Sessions(settings)
        self.provider: Provider | None = provider_of(settings)
        self.lazy = engine or LazyEngine(settings)
        self.mailer = Mailer(settings)

    @property
    def engine(self) -> Engine:
        return self.lazy.get()

    def session(self, request: Request) -> Session | None:
        return self.sessions.read(request)

    def principal(self, request: Request) -> Principal:
        """The signed-in account's principal (roles read now), or :class:`Unauthenticated`."""
        session = self.sessions.read(request)
        if session is None or session.account_id is None:
            raise Unauthenticated("Connexion requise : identifiez-vous.")
        with self.engine.begin() as conn:
            try:
                account = accounts.find_account(conn, session.account_id)
            except AccountNotFound as exc:  # the account was deleted meanwhile
                raise Unauthenticated("Session expirée : identifiez-vous de nouveau.") from exc
            if not account.active:
                raise AccountDisabled(accounts.DISABLED)
            if account.epoch != session.epoch:  # deactivated since, then reactivated
                raise Unauthenticated("Session expirée : identifiez-vous de nouveau.")
            return accounts.principal_of(conn, session.account_id, session.sid)

    def account(self, request: Request) -> accounts.Account | None:
        session = self.sessions.read(request)
        if session is None or session.account_id is None:
            return None
        with self.engine.connect() as conn:
            try:
                found = accounts.find_account(conn, session.account_id)
            except AccountNotFound:
                return None
        return found if found.active and found.epoch == session.epoch else None

    async def form(self, request: Request) -> FormData:
        """The posted form (urlencoded or multipart), refused unless it carries the
        session's CSRF token (field ``csrf``, or the ``X-CSRF-Token`` header)."""
        form = await request.form(max_fields=MAX_FORM_FIELDS)
        token = form.get(csrf.FIELD)
        submitted = token if isinstance(token, str) else request.headers.get(csrf.HEADER)
        csrf.check(self.sessions.read(request), submitted)
        return form

    def _open(self, request: Request, response: Response, account: accounts.Account) -> None:
        session = new_session(account.id, account.epoch)  # a new id: no session fixation
        with self.engine.begin() as conn:
            principal = accounts.principal_of(conn, account.id, session.sid)
            record(conn, principal, "session.ouvrir", None, account.id)
        self.sessions.write(request, response, session)

    def start_oidc(
        self, request: Request, response: Response, redirect_uri: str, next_url: str = ""
    ) -> str:
        """Where to send the browser to sign in with the provider."""
        if self.provider is None:
            raise ControlPlaneError(
                "Connexion OpenID Connect non configurée (ARDOISE_OIDC_ISSUER)."
            )
        pending = self.provider.start(redirect_uri)
        session = with_pending(
            self.sessions.ensure(request),
            state=pending.state,
            nonce=pending.nonce,
            verifier=pending.code_verifier,
            next_url=local_path(next_url),
        )
        self.sessions.write(request, response, session)
        return pending.url

    def finish_oidc(
        self, request: Request, response: Response, redirect_uri: str, *, code: str, state: str
    ) -> str:
        """Finish the sign-in at the callback; the local path to go to next."""
        session = self.sessions.read(request)
        if self.provider is None or session is None or not session.oidc_state:
            raise Unauthenticated(
                "Connexion interrompue (session absente ou expirée) : recommencez."
            )
        pending = Pending("", session.oidc_state, session.oidc_nonce, session.oidc_verifier)
        self.sessions.write(request, response, replace(session, oidc_state=""))  # used once
        identity = self.provider.finish(pending, redirect_uri, code=code, state=state)
        with self.engine.begin() as conn:
            account = accounts.oidc_account(
                conn,
                issuer=identity.issuer,
                subject=identity.subject,
                email=identity.email,
                name=identity.name,
            )
        self._open(request, response, account)
        return session.next_url or "/producteurs"

    def sign_in_password(
        self, request: Request, response: Response, email: str, password: str
    ) -> accounts.Account:
        if not self.settings.local_sign_in:
            raise ControlPlaneError(
                "La connexion par mot de passe est désactivée (ARDOISE_LOCAL_SIGN_IN=0)."
            )
        with self.engine.begin() as conn:
            account = accounts.verify_password(conn, email, password)
        if account is None:
            raise Unauthenticated("Adresse ou mot de passe incorrect.")
        self._open(request, response, account)
        return account

    def sign_out(self, request: Request, response: Response) -> None:
        session = self.sessions.read(request)
        if session is not None and session.account_id is not None:
            with self.engine.begin() as conn:
                try:
                    principal = accounts.principal_of(conn, session.account_id, session.sid)
                except AccountNotFound:
                    principal = Principal()
                record(conn, principal, "session.fermer", None, session.account_id)
        self.sessions.clear(request, response)
