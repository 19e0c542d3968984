"""The families' cookie: who signed in through FranceConnect, kept in the browser only.

A parent has no account on the platform: nothing about them is stored on the server. The
cookie (``ardoise_famille``, ``Secure``, ``HttpOnly``, ``SameSite=Lax``, path
``/mes-enfants``, signed and dated with the site's key under its own salt, valid
``session_hours``) holds the identity pivot the provider gave (what the matching rule of
:mod:`ardoise.scolarite.representatives` reads), a CSRF token for the sign-out form and,
during a sign-in, its OpenID Connect state, nonce and PKCE verifier.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from datetime import date

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from ardoise.controlplane.session import signing_key
from ardoise.scolarite.representatives import Person
from ardoise.settings import Settings

COOKIE = "ardoise_famille"
PATH = "/mes-enfants"
SALT = "ardoise.famille.v1"


@dataclass(frozen=True)
class FamilySession:
    sid: str
    csrf: str
    issuer: str = ""
    subject: str = ""  # empty: not signed in
    given_names: str = ""
    family_name: str = ""
    birthdate: str = ""  # ISO date, or empty
    birthplace: str = ""
    oidc_state: str = ""
    oidc_nonce: str = ""
    oidc_verifier: str = ""

    @property
    def signed_in(self) -> bool:
        return bool(self.subject)

    def person(self) -> Person:
        try:
            born = date.fromisoformat(self.birthdate) if self.birthdate else None
        except ValueError:
            born = None
        return Person(
            self.issuer, self.subject, self.given_names, self.family_name, born, self.birthplace
        )


def new_session() -> FamilySession:
    return FamilySession(sid=secrets.token_urlsafe(24), csrf=secrets.token_urlsafe(24))


def signed_in(pending: FamilySession, issuer: str, claims: dict[str, object]) -> FamilySession:
    """A new session (new id: no fixation) for the person of the verified ``claims``."""

    def text(name: str) -> str:
        value = claims.get(name)
        return value.strip()[:200] if isinstance(value, str) else ""

    return replace(
        new_session(),
        issuer=issuer,
        subject=text("sub"),
        given_names=text("given_name"),
        family_name=text("family_name"),
        birthdate=text("birthdate")[:10],
        birthplace=text("birthplace")[:5],
    )


class FamilySessions:
    def __init__(self, settings: Settings) -> None:
        self._signer = URLSafeTimedSerializer(signing_key(settings), salt=SALT)
        self.max_age = settings.session_hours * 3600

    def read(self, request: Request) -> FamilySession | None:
        if hasattr(request.state, "ardoise_famille"):
            return request.state.ardoise_famille  # type: ignore[no-any-return]
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._signer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return None
        fields = FamilySession.__dataclass_fields__
        try:
            return FamilySession(**{k: v for k, v in data.items() if k in fields})
        except TypeError:
            return None

    def ensure(self, request: Request) -> tuple[FamilySession, bool]:
        """The request's session, or a new anonymous one; whether it is new."""
        found = self.read(request)
        return (found, False) if found is not None else (new_session(), True)

    def write(self, request: Request, response: Response, session: FamilySession) -> None:
        request.state.ardoise_famille = session
        response.set_cookie(
            COOKIE,
            self._signer.dumps(asdict(session)),
            max_age=self.max_age,
            path=PATH,
            secure=True,
            httponly=True,
            samesite="lax",
        )

    def clear(self, request: Request, response: Response) -> None:
        request.state.ardoise_famille = None
        response.delete_cookie(COOKIE, path=PATH, secure=True, httponly=True, samesite="lax")
