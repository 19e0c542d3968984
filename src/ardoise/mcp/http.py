"""Streamable HTTP at ``/mcp`` on the main app: stateless (each POST stands alone, no
session to lose; reference §4.1 "Session not found"), JSON responses, read-only.

The SDK's session manager must run inside the host app's lifespan, and can run only once:
:class:`McpEndpoint` makes a fresh one in each lifespan (an app may be started more than
once, as tests do) and its route forwards every request to the current one.

    endpoint = McpEndpoint(build_server(settings, holder), settings)
    app.router.routes.extend(endpoint.routes())
    ... in the app's lifespan:  async with endpoint.lifespan(): yield

Only POST reaches the SDK. A stateless endpoint has no server-initiated messages, so the
``GET`` event stream (which stays open forever: thousands of them exhausted the file
descriptors and memory, issue #21) is refused with 405, as the transport allows; so are the
other methods (``DELETE`` ends a session, and there is none).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from ardoise.settings import Settings

PATH = "/mcp"
_LOCAL_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
_LOCAL_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")


def security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection: the public host (``public_url``) and loopback only."""
    public = urlsplit(settings.public_url)
    hosts = [*_LOCAL_HOSTS]
    origins = [*_LOCAL_ORIGINS]
    if public.netloc:
        hosts.append(public.netloc)
        origins.append(f"{public.scheme}://{public.netloc}")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class McpEndpoint:
    """The ``/mcp`` ASGI endpoint of one MCP server."""

    def __init__(self, server: MCPServer[Any], settings: Settings) -> None:
        self.server = server
        self.settings = settings

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, endpoint=self, name="mcp")]

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        # streamable_http_app() makes a new session manager (one per run) for the server.
        self.server.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            json_response=True,
            transport_security=security(self.settings),
        )
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            await refusal()(scope, receive, send)
            return
        await self.server.session_manager.handle_request(scope, receive, send)


def refusal() -> JSONResponse:
    """The answer to any method but POST: no event stream, no session to delete."""
    return JSONResponse(
        {
            "error_code": "MethodNotAllowed",
            "message": "Le serveur MCP est sans état : envoyez vos messages JSON-RPC en POST "
            "(aucun flux d'événements en GET).",
        },
        status_code=405,
        headers={"Allow": "POST"},
    )
