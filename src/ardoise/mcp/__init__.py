"""MCP server: the release's datasets, territories and indicators as tools for LLM clients
(official ``mcp`` SDK), over stdio (``ardoise mcp``) and over streamable HTTP at ``/mcp``."""

from __future__ import annotations

from ardoise.mcp.http import McpEndpoint as McpEndpoint
from ardoise.mcp.server import build_server as build_server
from ardoise.mcp.stdio import run_stdio as run_stdio
