"""Counting every answer (issue #17): the outermost middleware classifies the request,
measures the bytes sent, and hands one hit to the process's :class:`UsageCounter`. The IP
address and the User-Agent are read here and go no further than a device class and a
HyperLogLog register (``ardoise.usage``)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.settings import Settings
from ardoise.usage.classify import Hit, classify
from ardoise.usage.counter import UsageCounter
from ardoise.usage.device import device_class
from ardoise.usage.store import open_store

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # a tool or dataset name, not free text
_MCP_PEEK = 64 << 10  # the JSON-RPC call is read for its tool name up to 64 KiB


def usage_counter(settings: Settings) -> UsageCounter | None:
    """The process's counter, on the configured store; None when counting is off."""
    if not settings.usage_count:
        return None
    url = settings.usage_database_url.reveal().strip() or str(settings.var_dir / "usage.sqlite")
    return UsageCounter(open_store(url), flush_seconds=settings.usage_flush_seconds)


class UsageMiddleware:
    def __init__(self, app: ASGIApp, counter: UsageCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"status": 0, "bytes": 0}
        tool: list[str] = []
        if scope["path"] == "/mcp" and scope["method"] == "POST":
            receive = _peeking(receive, tool)

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = int(message["status"])
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
                if not message.get("more_body"):
                    self._count(scope, state["status"], state["bytes"], tool)
            await send(message)

        await self.app(scope, receive, counting)

    def _count(self, scope: Scope, status: int, nbytes: int, tool: list[str]) -> None:
        hit = classify(scope["method"], scope["path"], status)
        if hit is None:
            return
        if hit.surface == "mcp":
            if not tool:
                return  # the session's handshake, listings and notifications are not calls
            hit = Hit("mcp", "", tool[0])
        elif hit.surface == "v1" and not hit.dataset:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            hit = Hit("v1", query.get("dataset", ""), hit.detail)
        if status >= 400 or not _NAME.match(hit.dataset):
            hit = Hit(hit.surface, "", hit.detail)  # an unknown name is not a dataset
        headers = dict(scope.get("headers") or [])
        user_agent = headers.get(b"user-agent", b"").decode("latin-1")
        client = scope.get("client") or ("", 0)
        visitor = f"{client[0]}\n{user_agent}".encode()
        self.counter.count(hit, device_class(user_agent), nbytes, visitor)


def _peeking(receive: Receive, tool: list[str]) -> Receive:
    """``receive`` that also reads the name of the MCP tool called (``tools/call``)."""
    seen = bytearray()

    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request" and len(seen) < _MCP_PEEK:
            seen.extend(message.get("body", b""))
            if not message.get("more_body"):
                name = _tool_name(bytes(seen))
                if name:
                    tool.append(name)
        return message

    return wrapped


def _tool_name(body: bytes) -> str:
    """>>> _tool_name(b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"records"}}')
    'records'
    >>> _tool_name(b'{"method":"tools/call","params":{"name":"a b"}}'), _tool_name(b'[')
    ('autre', '')
    """
    try:
        call = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(call, dict) or call.get("method") != "tools/call":
        return ""
    params = call.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    return name if isinstance(name, str) and _NAME.match(name) else "autre"
