"""Counting every answer (issue #17): the outermost middleware measures the bytes sent and
keeps the answer raw until the flush of the process's :class:`UsageCounter`, which has it
classified then, once per distinct answer, into a hit. The IP address and the User-Agent
are read here and go no further than a device class and a HyperLogLog register
(``ardoise.usage``); until the flush (every few seconds) they are held in memory only."""

from __future__ import annotations

import json
import re
import time
from bisect import bisect_left
from collections.abc import Sequence
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.settings import Settings
from ardoise.usage.classify import Hit, route_of, with_status
from ardoise.usage.counter import UsageCounter, hit_of, token_of
from ardoise.usage.device import device_class
from ardoise.usage.levels import BOUNDS_MS, PROBES
from ardoise.usage.store import configured_store
from ardoise.web.clientip import client_ip

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # a tool or dataset name, not free text
_MCP_PEEK = 64 << 10
_REMEMBERED = 4096  # the JSON-RPC call is read for its tool name up to 64 KiB
_RAW_MAX = 100_000  # distinct raw answers kept before they are counted (a late flush)
_DETAIL_MAX = 64  # a dataset name longer than this is not one (token_of drops it)


def usage_counter(settings: Settings) -> UsageCounter | None:
    """The process's counter, on the configured store; None when counting is off."""
    if not settings.usage_count:
        return None
    return UsageCounter(configured_store(settings), flush_seconds=settings.usage_flush_seconds)


class UsageMiddleware:
    def __init__(
        self, app: ASGIApp, counter: UsageCounter, trusted: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.counter = counter
        self.trusted = trusted  # the proxies whose X-Forwarded-For is believed, as the quota's
        # (method, path, status, device) → counting token ("" = not counted), and a
        # User-Agent's hash → its device class: bounded, cleared when full
        self._tokens: dict[tuple[str, str, int, str], str] = {}
        self._devices: dict[int, str] = {}
        # the answers since the last flush, raw: (method, path, status, User-Agent, address,
        # bytes, detail, latency bucket) → how many
        self._raw: dict[tuple[str, str, int, bytes, str, int, str, int], int] = {}
        counter.attach(self.resolve)

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
        self,
        scope: Scope,
        status: int,
        nbytes: int,
        tool: Sequence[str],
        seconds: float,
        address: str | None = None,
        user_agent: bytes | None = None,
    ) -> None:
        """Counts an answer sent (its service level too, unless a probe's): called once its
        last byte is sent, here or by the cache's hits in front (``web.hits``), which give
        the client's ``address`` and ``user_agent`` they have already read (else they are
        read here: the address as the quota finds it, :func:`ardoise.web.clientip.client_ip`).

        The hot path: the answer is kept raw, one dictionary update keyed by what it is,
        and turned into its counting token at the flush (:meth:`resolve`), once for all the
        identical answers since the last one."""
        if user_agent is None:
            user_agent = user_agent_of(scope)
        if address is None:
            address = client_ip(scope, self.trusted)
        path = scope["path"]
        detail = _detail_of(path, scope, tool) if path.startswith(_DETAILED) else ""
        bucket = bisect_left(BOUNDS_MS, seconds * 1000)  # levels.bucket, inlined
        key = (scope["method"], path, status, user_agent, address, nbytes, detail, bucket)
        raw = self._raw
        raw[key] = raw.get(key, 0) + 1
        if len(raw) >= _RAW_MAX:  # the flush is late: counted now
            self.resolve()

    def resolve(self) -> None:
        """The raw answers since the last flush, handed to the counter with their token
        (called by the counter at its flush, on the loop's thread)."""
        raw, self._raw = self._raw, {}
        add = self.counter.add
        for (method, path, status, user_agent, address, nbytes, detail, bucket), n in raw.items():
            device = self._devices.get(hash(user_agent)) or self._device(user_agent)
            key = (method, path, status, device)
            token = self._tokens.get(key)
            if token is None:
                token = self._token(key)
            if token.startswith(("mcp\t", "v1\t\t")):  # refined by the call's own detail
                token = _refined(token, status, detail)
            error = None if path in PROBES else status >= 500  # probes: not in the levels
            if token:
                add(token, nbytes, address, user_agent, error, bucket, n)
            elif error is not None:
                add(None, 0, "", b"", error, bucket, n)

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


# The paths whose token the call's own detail may refine: MCP's tool, v1's dataset
_DETAILED = ("/mcp", "/api/records/1.0/", "/api/datasets/1.0/")


def _detail_of(path: str, scope: Scope, tool: Sequence[str]) -> str:
    """The MCP tool called, or the dataset a v1 call names in its query (as sent)."""
    if path.startswith("/mcp"):
        return tool[0] if tool else ""
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    name = str(query.get("dataset", ""))
    return name if len(name) <= _DETAIL_MAX else ""  # token_of would drop it anyway


def _refined(token: str, status: int, detail: str) -> str:
    """The token of an MCP call with its tool (none: a handshake or a listing, not
    counted), or of a successful v1 call with the dataset it names."""
    hit, device = hit_of(token)
    if hit.surface == "mcp":
        return token_of(Hit("mcp", "", detail), device) if detail else ""
    if status >= 400:
        return token
    return token_of(Hit("v1", detail, hit.detail), device)


def user_agent_of(scope: Scope) -> bytes:
    """The request's User-Agent header (the first), or b"" without one."""
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return bytes(value)
    return b""


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
