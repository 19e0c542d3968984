"""The size cap of uploads to the producers' space and Automation API, enforced while the
body streams in (``upload_max_mb``, plus room for the multipart envelope): a declared
``Content-Length`` above the cap is refused before a byte is read, and a body without one
(chunked) is cut as soon as it passes the cap. Either way the answer is a French 413
(the API's error body under ``/api/``, a short page elsewhere) and nothing reaches the
disk: the multipart parser never sees more than the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.controlplane.errors import UploadTooLarge
from ardoise.errors import ArdoiseError

ENVELOPE = 1 << 20  # multipart boundaries and the other fields of the form
PREFIXES = ("/api/producteurs/", "/producteurs/")

ErrorBody = Callable[[ArdoiseError], dict[str, Any]]


class UploadLimitMiddleware:
    def __init__(self, app: ASGIApp, max_mb: int, error_body: ErrorBody) -> None:
        self.app = app
        self.max_mb = max_mb
        self.limit = (max_mb << 20) + ENVELOPE
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "PUT", "PATCH")
            or not str(scope["path"]).startswith(PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, send)
            return
        seen, refused = 0, False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    refused = True
                    await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # once refused, our answer is the only one
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, send: Send) -> None:
        error = UploadTooLarge(
            f"Fichier trop volumineux : plus de {self.max_mb} Mo (réglage ARDOISE_UPLOAD_MAX_MB). "
            "Rien n'a été enregistré ; la version servie reste en ligne."
        )
        if str(scope["path"]).startswith("/api/"):
            body, media = orjson.dumps(self.error_body(error)), b"application/json"
        else:
            text = (
                '<!doctype html><html lang="fr"><meta charset="utf-8">'
                "<title>Fichier trop volumineux — Ardoise</title>"
                f"<main><h1>Fichier trop volumineux</h1><p>{error}</p>"
                '<p><a href="/producteurs">Retour à l\'espace des producteurs</a></p></main></html>'
            )
            body, media = text.encode(), b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", media),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
