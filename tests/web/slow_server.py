"""``ardoise serve``'s uvicorn, in a process of its own, whose exports are slow on request
(``?lent=1``: the body is sent in pieces, a second apart): what the graceful-shutdown test
sends SIGTERM to. Run as ``python -m tests.web.slow_server PORT`` with ``ARDOISE_*`` set."""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.settings import load_settings
from ardoise.web import serving
from ardoise.web.app import create_app


class SlowBodies:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        slow = scope["type"] == "http" and b"lent=1" in scope.get("query_string", b"")

        async def sending(message: Message) -> None:
            if slow and message["type"] == "http.response.body":
                body, more = message.get("body", b""), message.get("more_body", False)
                step = len(body) // 4 + 1
                for i in range(0, len(body), step):
                    piece = body[i : i + step]
                    await send({"type": "http.response.body", "body": piece, "more_body": True})
                    await asyncio.sleep(1)
                await send({"type": "http.response.body", "body": b"", "more_body": more})
                return
            await send(message)

        await self.app(scope, receive, sending)


def main() -> None:
    settings = load_settings(port=int(sys.argv[1]))
    print("prêt", flush=True)
    uvicorn.run(SlowBodies(create_app(settings)), **serving.options(settings))


if __name__ == "__main__":
    main()
