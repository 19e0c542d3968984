"""Counting every answer (issue #17): the outermost middleware classifies the request,
measures the bytes sent, and hands one hit to the process's :class:`UsageCounter`. The IP
address and the User-Agent are read here and go no further than a device class and a
HyperLogLog register (``ardoise.usage``)."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.settings import Settings
from ardoise.usage.classify import Hit, route_of, with_status
from ardoise.usage.counter import UsageCounter, hit_of, token_of
from ardoise.usage.device import device_class
from ardoise.usage.levels import PROBES, bucket
from ardoise.usage.store import configured_store

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # a tool or dataset name, not free text
_MCP_PEEK = 64 << 10
_REMEMBERED = 4096  # the JSON-RPC call is read for its tool name up to 64 KiB


def usage_counter(settings: Settings) -> UsageCounter | None:
    """The process's counter, on the configured store; None when counting is off."""
    if not settings.usage_count:
        return None
    return UsageCounter(configured_store(settings), flush_seconds=settings.usage_flush_seconds)


class UsageMiddleware:
    def __init__(self, app: ASGIApp, counter: UsageCounter) -> None:
        self.app = app
        self.counter = counter
        # (method, path, status, device) → counting token ("" = not counted), and a
        # User-Agent's hash → its device class: bounded, cleared when full
        self._tokens: dict[tuple[str, str, int, str], str] = {}
        self._devices: dict[int, str] = {}
        self._counted: dict[tuple[str, str, int, int], str] = {}  # both above, in one

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        size = 0
        start = time.perf_counter()
        tool: list[str] = []
        if scope["path"] == "/mcp" and scope["method"] == "POST":
            receive = _peeking(receive, tool)

        async def counting(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if not message.get("more_body"):
                    self.answered(scope, status, size, tool, time.perf_counter() - start)
            elif message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, counting)

    def answered(
        self, scope: Scope, status: int, nbytes: int, tool: list[str], seconds: float
    ) -> None:
        """Counts an answer sent (its service level too, unless a probe's): called once its
        last byte is sent, here or by the cache's hits in front (``web.hits``)."""
        path = scope["path"]
        user_agent = b""
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value
                break
        # one lookup on the hot path: the token of (method, path, status, User-Agent's hash)
        key = (scope["method"], path, status, hash(user_agent))
        token = self._counted.get(key)
        if token is None:
            token = self._counted_token(key, user_agent)
        if token and token.startswith(("mcp\t", "v1\t\t")):
            token = self._detailed(token, scope, status, tool)
        probe = path in PROBES  # not in the service levels (/statut)
        if not token:
            if not probe:
                self.counter.level(status >= 500, bucket(seconds))
            return
        client = scope.get("client")
        visitor = (client[0].encode() if client else b"") + b"\n" + user_agent
        if probe:
            self.counter.count(token, nbytes, visitor)
        else:
            self.counter.answer(token, nbytes, visitor, status >= 500, bucket(seconds))

    def _counted_token(self, key: tuple[str, str, int, int], user_agent: bytes) -> str:
        method, path, status, _ua = key
        device = self._devices.get(hash(user_agent))
        if device is None:
            device = self._device(user_agent)
        token = self._tokens.get((method, path, status, device))
        if token is None:
            token = self._token((method, path, status, device))
        if len(self._counted) >= _REMEMBERED:
            self._counted.clear()
        self._counted[key] = token
        return token

    def _device(self, user_agent: bytes) -> str:
        """``device_class``, remembered by the User-Agent's hash (not the string itself)."""
        if len(self._devices) >= _REMEMBERED:
            self._devices.clear()
        device = self._devices[hash(user_agent)] = device_class(user_agent.decode("latin-1"))
        return device

    def _token(self, key: tuple[str, str, int, str]) -> str:
        method, path, status, device = key
        hit = with_status(route_of(method, path), status)
        if len(self._tokens) >= _REMEMBERED:
            self._tokens.clear()
        token = self._tokens[key] = token_of(hit, device) if hit else ""
        return token

    @staticmethod
    def _detailed(token: str, scope: Scope, status: int, tool: list[str]) -> str:
        """The MCP tool called (none: a handshake or a listing, not counted), or the dataset
        a successful v1 call names in its query."""
        hit, device = hit_of(token)
        if hit.surface == "mcp":
            return token_of(Hit("mcp", "", tool[0]), device) if tool else ""
        if status >= 400:
            return token
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        return token_of(Hit("v1", query.get("dataset", ""), hit.detail), device)


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
