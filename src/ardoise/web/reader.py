"""Who reads the open-data surfaces (issue #16): restricted datasets from the control plane,
and the reader of each request from its API key.

:class:`ControlPlaneAccess` reads the restricted datasets at most once a second (shared
state in the control plane's database: a dataset restricted in one process is hidden by
every process within a second) and turns an API key into the query layer's
:class:`~ardoise.query.access.Reader`. :class:`ReaderMiddleware` sets the reader of each
request (``Authorization: Bearer ard_…`` or ``Authorization: Apikey ard_…``, the portal's
form, or the session cookie of a signed-in account); a request without one reads as the
anonymous; ``/mcp`` always does (MCP never
serves restricted data). Without a configured control plane nothing is restricted.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ardoise.errors import ArdoiseError
from ardoise.extras import installed
from ardoise.query.access import ANONYMOUS, READER, Grant, Reader
from ardoise.settings import Settings
from ardoise.web.errors import error_body, status_of

REFRESH_SECONDS = 1.0
KEY_PREFIX = "ard_"
SESSION_COOKIE = b"ardoise_session="  # controlplane.session.COOKIE
# Paths that read as the anonymous here: MCP (never restricted data), and the producers'
# pages and Automation API, which serve no dataset and authenticate keys themselves.
OWN_AUTH = ("/mcp", "/api/producteurs/", "/producteurs", "/compte")


class ControlPlaneAccess:
    """The restricted datasets (cached for :data:`REFRESH_SECONDS`) and readers of keys."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Any = None
        self._lock = threading.Lock()
        self._restricted: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    def _configured(self) -> bool:
        if not installed("producteurs"):
            return False
        url = self.settings.controlplane_database_url.reveal().strip()
        return bool(url) or (self.settings.var_dir / "controle.db").is_file()

    def engine(self) -> Any:
        if self._engine is None:
            from ardoise.controlplane.database import open_control_plane

            self._engine = open_control_plane(self.settings)
        return self._engine

    def restrictions(self) -> frozenset[str]:
        """The restricted dataset ids, read again when older than a second."""
        if time.monotonic() - self._read_at < REFRESH_SECONDS:
            return self._restricted
        with self._lock:
            if time.monotonic() - self._read_at >= REFRESH_SECONDS:
                self._restricted = self._read()
                self._read_at = time.monotonic()
        return self._restricted

    def _read(self) -> frozenset[str]:
        if not self._configured():
            return frozenset()
        from ardoise.controlplane.restrictions import restricted_datasets

        with self.engine().connect() as conn:
            return restricted_datasets(conn)

    def reader_of_key(self, secret: str) -> Reader:
        """The reader an API key acts as; ``Unauthenticated`` for an unknown or revoked one."""
        from ardoise.controlplane.errors import Unauthenticated

        if not self._configured():
            raise Unauthenticated("Clé d'API inconnue ou révoquée.")
        from ardoise.controlplane.keys import principal_of_key

        with self.engine().begin() as conn:
            return _reader(conn, principal_of_key(conn, secret))

    def reader_of_account(self, account_id: str, sid: str) -> Reader:
        """The reader a signed-in account acts as (its roles read now); the anonymous when
        the account no longer exists."""
        if not self._configured():
            return ANONYMOUS
        from ardoise.controlplane.accounts import principal_of
        from ardoise.controlplane.errors import AccountNotFound

        with self.engine().begin() as conn:
            try:
                return _reader(conn, principal_of(conn, account_id, sid))
            except AccountNotFound:
                return ANONYMOUS


def _reader(conn: Any, principal: Any) -> Reader:
    """The query layer's reader of a control-plane principal: its grants, sorted."""
    from ardoise.controlplane.restrictions import grants_of

    grants = grants_of(conn, principal)
    pairs = sorted(
        ((g.dataset_id, Grant(g.row_filter, frozenset(g.hidden))) for g in grants),
        key=lambda p: (p[0], p[1].row_filter or "", sorted(p[1].hidden)),
    )
    who = f"cle:{principal.key_id}" if principal.key_id else f"compte:{principal.account_id}"
    return Reader(grants=tuple(pairs), label=who)


def key_of(scope: Scope) -> str | None:
    """The API key of a request (``Authorization: Bearer|Apikey ard_…``), or None."""
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            kind, _, secret = value.decode("latin-1").strip().partition(" ")
            secret = secret.strip()
            if kind.lower() in ("bearer", "apikey") and secret.startswith(KEY_PREFIX):
                return str(secret)
    return None


class ReaderMiddleware:
    """Sets :data:`~ardoise.query.access.READER` for the request it passes on."""

    def __init__(self, app: ASGIApp, access: ControlPlaneAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        http = scope["type"] == "http" and not str(scope.get("path", "")).startswith(OWN_AUTH)
        secret = key_of(scope) if http else None
        try:
            if secret is not None:
                reader = await run_in_threadpool(self.access.reader_of_key, secret)
            elif http and (signed_in := self._account(scope)) is not None:
                reader = await run_in_threadpool(self.access.reader_of_account, *signed_in)
            else:
                reader = ANONYMOUS
        except ArdoiseError as exc:
            await _refuse(send, exc)
            return
        token = READER.set(reader)
        try:
            await self.app(scope, receive, send)
        finally:
            READER.reset(token)

    def _account(self, scope: Scope) -> tuple[str, str] | None:
        """The signed-in account of the request's session cookie (account id, session id)."""
        signin = getattr(scope.get("app"), "state", None)
        signin = getattr(signin, "signin", None)
        if signin is None or not has_session_cookie(scope):
            return None
        session = signin.session(Request(scope))
        if session is None or session.account_id is None:
            return None
        return str(session.account_id), str(session.sid)


def has_session_cookie(scope: Scope) -> bool:
    """Whether the request carries the session cookie of the signed-in pages."""
    return any(
        name == b"cookie" and SESSION_COOKIE in value for name, value in scope.get("headers") or []
    )


async def _refuse(send: Send, exc: ArdoiseError) -> None:
    body = orjson.dumps(error_body(exc))
    await send(
        {
            "type": "http.response.start",
            "status": status_of(exc),
            "headers": [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
