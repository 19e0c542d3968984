"""Fixtures of the dashboard tests: one release built by the real pipeline from the
dashboard's sample files, and one app (in-process client) serving it, per session; for the
browser tests of the users' paths (issue #20), a server on a free port, one browser and a
390×844 phone page (console errors and failed requests collected) per module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.dashboard import sample
from tests.dashboard.browser import VIEWPORTS, chromium_path, serve
from tests.fixtures import sample_release


@pytest.fixture(scope="session")
def dash_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return sample_release(tmp_path_factory.mktemp("dashboard"), sample)


@pytest.fixture(scope="session")
def client(dash_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(dash_settings), raise_server_exceptions=False) as c:
        yield c


PHONE = VIEWPORTS["mobile"]


@pytest.fixture(scope="module")
def base_url(dash_settings: Settings) -> Iterator[str]:
    with serve(create_app(dash_settings)) as url:
        assert not url.endswith(":8000")
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("chromium absent : `make install` l'installe (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture()
def phone(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(
        viewport={"width": PHONE[0], "height": PHONE[1]}, locale="fr-FR", has_touch=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield page, errors
    context.close()
