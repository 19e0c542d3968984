"""A release switch never stalls the server (issue #21): the new release is loaded in a
worker thread, never on the event loop, and requests arriving meanwhile are answered by
the previous release."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest

from ardoise.query import release as release_module
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.release.test_integrity import _two_releases
from tests.web.test_release_faults import _point_current_at

V21 = "/api/explore/v2.1/catalog/datasets"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_requests_are_answered_while_a_switch_loads(
    fixture_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _two_releases(fixture_settings)
    _point_current_at(fixture_settings, first)
    original = release_module.ServedRelease.__init__
    loop_thread = threading.get_ident()
    loads: list[int] = []
    gate = threading.Event()
    started = threading.Event()

    def slow_init(self: Any, path: Any, settings: Settings, *rest: Any) -> None:
        loads.append(threading.get_ident())
        if path.name == second:
            started.set()
            assert gate.wait(30)  # the new release takes its time to load
        original(self, path, settings, *rest)  # rest: the restricted datasets (#16)

    monkeypatch.setattr(release_module.ServedRelease, "__init__", slow_init)
    app = create_app(fixture_settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/health")).json()["release"] == first
        _point_current_at(fixture_settings, second)
        loading = asyncio.create_task(client.get(f"{V21}?limit=1"))  # triggers the load
        while not started.is_set():
            await asyncio.sleep(0.01)
        # the load is blocked: the loop still answers, from the previous release
        for path in ("/health", V21, f"{V21}/test-ips-ecoles/records", "/donnees.json"):
            r = await client.get(path)
            assert r.status_code == 200, path
        assert (await client.get("/health")).json()["release"] == first
        gate.set()
        assert (await loading).status_code == 200
        assert (await client.get("/health")).json()["release"] == second
    assert loads and loop_thread not in loads  # no release was ever loaded on the event loop
