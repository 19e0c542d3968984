"""``X-Ardoise-Release`` on every answer: the release a client should cite, the current
one or the older one it asked for with ``release=`` or ``date=`` when its route read one
(``api.deps`` sets ``request.state.ardoise_release``), else the release this replica serves
(``served``, when one is loaded): behind a proxy of several replicas (issue #17) every
answer says which release answered it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-ardoise-release"


def with_release(headers: list[tuple[bytes, bytes]], release: str | None) -> list[Any]:
    """``headers`` with ``X-Ardoise-Release: release`` added unless one is there.

    >>> with_release([(b"x-ardoise-release", b"a")], "b")
    [(b'x-ardoise-release', b'a')]
    >>> with_release([], "b")
    [(b'x-ardoise-release', b'b')]
    """
    if release and not any(k.lower() == HEADER for k, _v in headers):
        headers = [*headers, (HEADER, str(release).encode("latin-1", "replace"))]
    return headers


class ReleaseHeaderMiddleware:
    def __init__(self, app: ASGIApp, served: Callable[[], str | None] | None = None) -> None:
        self.app = app
        self.served = served  # the id of the release loaded now, without loading one

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                state: dict[str, Any] = scope.get("state") or {}
                release = state.get("ardoise_release") or (self.served and self.served())
                message = {
                    **message,
                    "headers": with_release(list(message.get("headers") or []), release),
                }
            await send(message)

        await self.app(scope, receive, send_with_header)
