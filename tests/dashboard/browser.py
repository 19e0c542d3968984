"""A real server (uvicorn on a free loopback port, in a thread) and Debian's chromium driven
by Playwright: what the browser tests and the benchmark share."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from ardoise.dashboard.assets import TEST_ONLY, build_assets
from ardoise.settings import Settings

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
VIEWPORTS = {"mobile": (390, 844), "desktop": (1440, 900)}


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return str(Path(found).resolve())
    return None


def axe_script(settings: Settings) -> str:
    """axe-core's source, served to tests only (``TEST_ONLY`` assets)."""
    assets = build_assets(settings.node_modules, settings.cache_dir / "static")
    return (assets.directory / assets.names[next(iter(TEST_ONLY))]).read_text("utf-8")


def serious_violations(page: Any, axe: str) -> list[tuple[str, int]]:
    """axe-core's serious or critical violations on ``page`` (rule id, how many nodes). The
    pages' CSP forbids inline scripts: axe is evaluated instead."""
    page.evaluate("src => { (0, eval)(src); }", axe)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], len(v["nodes"]))
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on loopback in a thread; yield its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name="dashboard-test-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
