"""The producers' whole flow in Chromium (issue #15): sign in through the OpenID Connect
provider on loopback, submit a CSV through the form, see the report and its preview; a
second person signs in, approves from the review queue; the new figure is served by the
Explore API, on the dashboard's dataset page, and the release is in the Atom feed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ardoise.controlplane import accounts, datasets, organisations
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.permissions import OPERATOR
from ardoise.release.build import build_release
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.dashboard.browser import chromium_path, serve
from tests.fixtures import fake_referential
from tests.identity import OidcProvider, SmtpSink, signin_settings

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
IPS = "test-ips-ecoles"


@pytest.fixture
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("chromium absent : `make install` l'installe (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


def _settings(base: Settings, tmp_path: Path, provider: OidcProvider, sink: SmtpSink) -> Settings:
    assert build_release(base, build_referential_fn=fake_referential).published
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        organisations.create_organisation(
            conn,
            OPERATOR,
            id="ministere",
            name="Ministère",
            siret="11004301500012",
            type="ministere",
        )
        datasets.claim_for_ministry(conn, OPERATOR, [IPS])
        for sub, email, name, role in (
            ("contrib", "contrib@education.gouv.fr", "Camille Contributrice", "contributeur"),
            ("relect", "relect@education.gouv.fr", "Rémi Relecteur", "relecteur"),
        ):
            provider.user(sub, email, *name.split())
            account = accounts.oidc_account(
                conn, issuer=provider.issuer, subject=sub, email=email, name=name
            )
            organisations.add_member(conn, OPERATOR, "ministere", account.id, role)
    engine.dispose()
    return signin_settings(base.replace(controlplane_database_url=url), provider, sink)


def _sign_in(page: Any, base: str, sub: str) -> None:
    page.goto(f"{base}/compte/connexion?suite=/producteurs")
    page.click("#connexion-oidc")
    page.fill("input[name=sub]", sub)
    page.click("button:has-text('Authorize')")
    page.wait_for_url(f"{base}/producteurs")


def test_sign_in_submit_review_publish(
    fixture_settings: Settings,
    tmp_path: Path,
    oidc_provider: OidcProvider,
    smtp_sink: SmtpSink,
    browser: Any,
) -> None:
    settings = _settings(fixture_settings, tmp_path, oidc_provider, smtp_sink)
    csv = tmp_path / "ecoles.csv"
    text = (settings.mirror / "ips" / "ecoles.csv").read_text("utf-8")
    csv.write_text(text.replace(";106.2", ";107.4"), "utf-8")
    with serve(create_app(settings)) as base:
        camille = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        page = camille.new_page()
        _sign_in(page, base, "contrib")
        assert "Ministère" in page.content()
        page.click("text=Ministère")
        page.set_input_files("#fichier", str(csv))
        page.fill("#note", "IPS 2024 révisé")
        page.click("text=Soumettre pour vérification")
        page.wait_for_selector("#etat")
        # validated by the server's in-process worker; the page reloads itself (meta refresh,
        # no JavaScript) until the report is there
        page.wait_for_selector("#etat:text-is('À relire')", timeout=90_000)
        assert "1 modifiée(s)" in page.inner_text("#apercu-lignes")
        submission_url = page.url
        remi = browser.new_context().new_page()
        _sign_in(remi, base, "relect")
        remi.click("text=À relire")
        remi.click(f"a[href='{submission_url.removeprefix(base)}']")
        remi.fill("#commentaire-ok", "Vérifié.")
        remi.click("#approuver")
        remi.wait_for_selector("#etat")
        assert remi.text_content("#etat") == "Publiée"
        api = httpx.get(
            f"{base}/api/explore/v2.1/catalog/datasets/{IPS}/records", params={"where": "ips=107.4"}
        ).json()
        assert api["total_count"] == 1
        dashboard = browser.new_context().new_page()
        dashboard.goto(f"{base}/donnees/{IPS}")
        assert "107" in dashboard.content()
        feed = httpx.get(f"{base}/api/v1/changelog.atom").text
        release = api_release = httpx.get(f"{base}/health").json()["release"]
        assert release in feed and "IPS 2024 révisé" in feed, (api_release, feed[:2000])
    assert [m["To"] for m in smtp_sink.wait(2)] == [
        "relect@education.gouv.fr",
        "contrib@education.gouv.fr",
    ]
