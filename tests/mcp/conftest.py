"""Fixtures of the MCP tests: the small indicator release (official dataset ids, a few rows
each, built by the real pipeline), the MCP server over it, an MCP client from the SDK, and
the app served by uvicorn on 127.0.0.1 (random port, stopped by the fixture)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
import uvicorn
from mcp import Client
from mcp_types import CallToolResult

from ardoise.mcp import build_server
from ardoise.mcp.server import ArdoiseMCP
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.fixtures import sample_release
from tests.indicators import sample

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


@pytest.fixture(scope="session")
def mcp_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return sample_release(
        tmp_path_factory.mktemp("mcp"),
        sample,
        sample.build_full_referential,
        public_url="http://ardoise.test",
    )


@pytest.fixture(scope="session")
def server(mcp_settings: Settings) -> ArdoiseMCP:
    return build_server(mcp_settings)


def with_client(target: Any, work: Callable[[Client], Awaitable[T]]) -> T:
    """Run ``work`` with an SDK client connected to ``target`` (server, URL or stdio)."""

    async def main() -> T:
        async with Client(target) as client:
            return await work(client)

    return anyio.run(main)


def call(target: Any, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    async def work(client: Client) -> CallToolResult:
        result = await client.call_tool(tool, arguments)
        assert isinstance(result, CallToolResult)
        return result

    return with_client(target, work)


def error_text(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert "Traceback" not in text
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def http_url(mcp_settings: Settings) -> Iterator[str]:
    """The whole app (``create_app``) served by uvicorn; yields its base URL."""
    port = free_port()
    settings = mcp_settings.replace(public_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name="mcp-test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn n'a pas démarré")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
