"""Issue #20: the paths of five users (a parent on a phone, a lycée head, a journalist, a
local-authority officer, a researcher) in a real browser at 390×844, each on a server on a
free (non-default) port: what stopped them must hold fixed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.dashboard.browser import VIEWPORTS, chromium_path, serve

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
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
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture()
def phone(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield page, errors
    context.close()


# --- 1. links built from the request (or ARDOISE_PUBLIC_URL) ---------------------------------


def test_researcher_downloads_and_api_examples_work_as_served(
    phone: tuple[Any, list[str]], base_url: str
) -> None:
    page, errors = phone
    page.goto(base_url + "/donnees/fr-en-ips-ecoles-ap2022", wait_until="load")
    hrefs = page.eval_on_selector_all(
        ".ar-downloads a", "as => as.map(a => a.getAttribute('href'))"
    )
    assert hrefs and all(h.startswith(base_url + "/api/") for h in hrefs), hrefs
    examples = page.eval_on_selector_all("pre.ar-code code", "cs => cs.map(c => c.textContent)")
    assert examples and all(base_url + "/api/" in e for e in examples)
    assert "127.0.0.1:8000" not in page.content()
    answer = httpx.get(hrefs[0], timeout=30)  # the link works as served
    assert answer.status_code == 200 and answer.content
    assert errors == []


def test_public_url_when_set_wins_over_the_request(dash_settings: Settings) -> None:
    settings = dash_settings.replace(public_url="https://ardoise.example/")
    with TestClient(create_app(settings)) as c:
        html = c.get("/donnees/fr-en-ips-ecoles-ap2022").text
    assert "https://ardoise.example/api/explore/v2.1/catalog/datasets/" in html
    assert "http://testserver/api/" not in html


# --- 2. the API documentation renders offline ------------------------------------------------


def test_api_docs_render_offline(phone: tuple[Any, list[str]], base_url: str) -> None:
    page, errors = phone
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(base_url + "/api/docs", wait_until="load")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "Ardoise" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".swagger-ui .opblock").count() > 10  # the operations are listed
    assert outside == []
    assert errors == []
