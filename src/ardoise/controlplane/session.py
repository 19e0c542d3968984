"""Sessions of the producers' space (and of the account pages of issue #16): one signed
cookie, ``Secure``, ``HttpOnly``, ``SameSite=Lax`` (Lax, not Strict: the OpenID Connect
provider sends the browser back with a top-level GET that must carry the pending
sign-in), signed and dated with itsdangerous, valid ``session_hours``.

The cookie holds no secret of its own: a random session id (the journal keeps a digest of
it), the CSRF token of the forms, the signed-in account id and its session epoch (a
deactivation bumps the account's epoch: the cookie is refused from the next request), and, during an OpenID Connect
sign-in, its state, nonce and PKCE verifier. A sign-in always starts a new session id
(no fixation); sign-out deletes the cookie. The signing key is the ``session_secret``
setting, or a random key kept in ``var/session.key`` (0600) shared by the processes of one
machine.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from ardoise.settings import Settings

COOKIE = "ardoise_session"
SALT = "ardoise.session.v1"


@dataclass(frozen=True)
class Session:
    sid: str  # random; the journal keeps controlplane.accounts.session_digest(sid)
    csrf: str  # the token every form of the session carries
    account_id: str | None = None  # None: not signed in (a sign-in form was shown)
    oidc_state: str = ""  # a pending OpenID Connect sign-in
    oidc_nonce: str = ""
    oidc_verifier: str = ""
    next_url: str = ""  # where to go after sign-in (a local path)
    epoch: int = 0  # the account's session epoch at sign-in (refused once it differs)

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None


def new_session(account_id: str | None = None, epoch: int = 0) -> Session:
    return Session(
        sid=secrets.token_urlsafe(24),
        csrf=secrets.token_urlsafe(24),
        account_id=account_id,
        epoch=epoch,
    )


def _key(settings: Settings) -> str:
    if settings.session_secret:
        return settings.session_secret.reveal()
    path = settings.var_dir / "session.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # the first process creates it; the others read it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    key = Path(path).read_text().strip()
    if not key:  # another process is writing it: its key, a moment later
        time.sleep(0.05)
        key = Path(path).read_text().strip()
    return key


def signing_key(settings: Settings) -> str:
    """The key every signed cookie of the site is signed with (each with its own salt)."""
    return _key(settings)


class Sessions:
    """Reads and writes the session cookie."""

    def __init__(self, settings: Settings) -> None:
        self._signer = URLSafeTimedSerializer(_key(settings), salt=SALT)
        self.max_age = settings.session_hours * 3600

    def read(self, request: Request) -> Session | None:
        """The request's valid session, or None (absent, tampered, expired)."""
        if hasattr(request.state, "ardoise_session"):  # written earlier in this request
            return request.state.ardoise_session  # type: ignore[no-any-return]
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._signer.loads(raw, max_age=self.max_age)
        except BadSignature:  # SignatureExpired included
            return None
        if not isinstance(data, dict):
            return None
        try:
            return Session(**{k: v for k, v in data.items() if k in Session.__dataclass_fields__})
        except TypeError:
            return None

    def ensure(self, request: Request) -> Session:
        """The request's session, or a new anonymous one (to be written on the response)."""
        found = self.read(request)
        if found is None:
            found = new_session()
            request.state.ardoise_session = found
            request.state.ardoise_session_new = True
        return found

    def is_new(self, request: Request) -> bool:
        """Whether :meth:`ensure` made the session in this request (to be written)."""
        return bool(getattr(request.state, "ardoise_session_new", False))

    def write(self, request: Request, response: Response, session: Session) -> None:
        request.state.ardoise_session = session
        request.state.ardoise_session_new = False
        response.set_cookie(
            COOKIE,
            self._signer.dumps(session.__dict__),
            max_age=self.max_age,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )

    def clear(self, request: Request, response: Response) -> None:
        request.state.ardoise_session = None
        response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def with_pending(
    session: Session, *, state: str, nonce: str, verifier: str, next_url: str
) -> Session:
    return replace(
        session, oidc_state=state, oidc_nonce=nonce, oidc_verifier=verifier, next_url=next_url
    )
