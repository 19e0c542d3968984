"""``ardoise mcp``: the MCP server over stdio, for a desktop client that launches it."""

from __future__ import annotations

import threading
from contextlib import suppress

from ardoise.errors import ArdoiseError
from ardoise.mcp.server import build_server
from ardoise.query import territories
from ardoise.query.release import ReleaseHolder, Restrictions
from ardoise.settings import Settings


def run_stdio(settings: Settings, restrictions: Restrictions | None = None) -> None:
    """``restrictions``: the restricted datasets (issue #16), never served here: the client
    is anonymous."""
    holder = ReleaseHolder(settings, restrictions) if restrictions else ReleaseHolder(settings)

    def prepare() -> None:  # the territory index takes seconds: build it before it is asked
        with suppress(ArdoiseError):
            territories.prepare(holder.get())

    threading.Thread(target=prepare, name="ardoise-mcp-warm-up", daemon=True).start()
    build_server(settings, holder).run("stdio")
