"""The habilitation path in Chromium (issue #16): a partner (on a phone) requests, an
instructor asks for a change, the partner amends and resubmits, the instructor validates
fewer scopes than asked; the DPO's sink received two emails; the token shown once works on
the enrolment API within its scopes; the instructor's revocation stops it within a second;
the public register lists the habilitation, then marks it revoked. Between the check and the
revocation, the checked pupil's parent signs in through the OpenID Connect provider's page
(standing for FranceConnect), on a phone, and sees the check on their child's page: date,
the CAF, the habilitation's purpose and legal basis with its reference, the answer and the
scopes; the parent of another child, or somebody not signed in, sees nothing of it; after the
revocation the check stays shown, and the CAF reads its usage (one found, one refused).
Every page of every person: no horizontal scroll, axe-core without a serious or critical
violation, no console error."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ardoise.controlplane.database import make_engine, migrate
from ardoise.release.build import build_release
from ardoise.scolarite import representatives, scopes
from ardoise.scolarite.database import make_engine as registry_engine
from ardoise.scolarite.database import migrate as migrate_registry
from ardoise.scolarite.extract import import_extract
from ardoise.settings import Settings
from ardoise.transparence.render import french_datetime
from ardoise.web.app import create_app
from tests.controlplane.habilitation_world import DPO, PASSWORD, TECH, seed
from tests.dashboard.browser import VIEWPORTS, axe_script, chromium_path, serious_violations, serve
from tests.fixtures import fake_referential
from tests.identity import CLIENT_ID, CLIENT_SECRET, OidcProvider, SmtpSink, signin_settings
from tests.scolarite.sample import NOW, PUPILS, identity_params, write_extract
from tests.scolarite.test_families import CLAIMS, PARENT_A, PARENT_B

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
PHONE, DESK = VIEWPORTS["mobile"], VIEWPORTS["desktop"]  # 390×844, 1440×900
TOUCH = "main button, main select, main input:not([type=checkbox]), main summary, #franceconnect"
SMALL = (
    "els => els.filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)"
    ".map(e => e.outerHTML.slice(0, 80))"
)
API = "/v3/men/scolarites/identite"


@pytest.fixture
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("chromium absent : `make install` l'installe (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


def _settings(base: Settings, tmp_path: Path, sink: SmtpSink, provider: OidcProvider) -> Settings:
    assert build_release(base, build_referential_fn=fake_referential).published
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    engine = make_engine(url)
    migrate(engine)
    seed(engine)
    engine.dispose()
    registry_url = f"sqlite:///{tmp_path / 'scolarite.db'}"
    registry = registry_engine(registry_url)
    migrate_registry(registry)
    assert import_extract(registry, write_extract(tmp_path / "x.csv", PUPILS), today=NOW.date()).ok
    with registry.begin() as conn:  # Zoé's mother (PUPILS[0]) and Jean's father (PUPILS[1])
        representatives.load(conn, [PARENT_A, PARENT_B])
    registry.dispose()
    for sub in ("a", "b"):
        put = httpx.put(f"{provider.issuer}/users/{sub}", json=CLAIMS[sub], timeout=10)
        assert put.status_code == 204, put.text
    franceconnect = {  # the families' provider (FranceConnect in production): the same one
        "franceconnect_issuer": provider.issuer,
        "franceconnect_client_id": CLIENT_ID,
        "franceconnect_client_secret": CLIENT_SECRET,
        "franceconnect_scopes": "openid profile email",
    }
    return signin_settings(
        base.replace(
            controlplane_database_url=url,
            scolarite_database_url=registry_url,
            local_sign_in=True,
            **franceconnect,
        ),
        sink=sink,
    )


def _sign_in(page: Any, base: str, kind: str) -> None:
    page.goto(f"{base}/compte/connexion?suite=/producteurs/habilitations")
    page.fill("#email", f"{kind}@exemple.fr")
    page.fill("#mot_de_passe", PASSWORD)
    page.click("button:has-text('Se connecter')")
    page.wait_for_url(f"{base}/producteurs/habilitations")


def _fill(page: Any, reference: str) -> None:
    page.fill("#base_legale", "Tarification sociale des transports scolaires")
    page.fill("#reference", reference)
    page.fill("#finalite", "Tarification sociale des transports")
    for s in (scopes.SCOLARITE, scopes.BOURSIER):
        page.click(f"label[for='scope-{s}']")  # DSFR: the label covers the box
    page.fill("#volume_annuel", "12000")
    page.fill("#conservation_mois", "12")
    page.fill("#technique_nom", "Camille Technique")
    page.fill("#technique_email", TECH)
    page.fill("#dpd_nom", "Dominique Protection")
    page.fill("#dpd_email", DPO)


def _phone(browser: Any, base: str, size: tuple[int, int] = PHONE) -> tuple[Any, list[str]]:
    """A page on a 390×844 phone (or ``size``), and the console errors, page errors and
    failed loads of Ardoise's own pages (the provider's page, which stands for
    FranceConnect's, is not ours: it loads a stylesheet from a CDN the test machine cannot
    reach)."""
    viewport = {"width": size[0], "height": size[1]}
    page = browser.new_context(viewport=viewport, locale="fr-FR").new_page()
    errors: list[str] = []

    def ours(url: str) -> bool:
        return url.startswith(base)

    def console(m: Any) -> None:
        if m.type == "error" and ours(page.url):  # whatever an Ardoise page fails to load
            errors.append(f"{m.text} {m.location}")

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)) if ours(page.url) else None)
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and ours(r.url) else None,
    )
    return page, errors


def _parent_signs_in(page: Any, base: str, sub: str) -> None:
    """Through the provider's own page, as a parent does with FranceConnect."""
    page.goto(f"{base}/mes-enfants")
    page.click("#franceconnect")
    page.fill("input[name=sub]", sub)
    page.click("button:has-text('Authorize')")
    page.wait_for_url(f"{base}/mes-enfants")


@pytest.fixture
def axe(fixture_settings: Settings) -> str:
    return axe_script(fixture_settings)


def _signs_out(page: Any, base: str, then: str) -> None:
    """Through the header's button, shown on a phone too (DSFR hides it without its menu)."""
    button = page.locator("header button:has-text('Se déconnecter')")
    assert button.is_visible(), page.url
    button.click()
    page.wait_for_url(f"{base}{then}*")


def _fits(page: Any, axe: str) -> None:
    """No horizontal scroll, touch targets of 44 px (the dashboard's rule; a DSFR checkbox's
    target is its label), and axe-core finds no serious or critical violation."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: la page déborde ({width})"
    small = page.eval_on_selector_all(TOUCH, SMALL)
    assert small == [], f"{page.url}: cibles tactiles < 44 px {small}"
    serious = serious_violations(page, axe)
    assert serious == [], f"{page.url}: axe-core {serious}"


def _the_check(page: Any) -> None:
    """Zoé's page shows one check: the CAF's, under its habilitation, found, its scope."""
    checks = page.locator("section.fr-callout")
    assert checks.count() == 1
    check = checks.first.text_content()
    at = datetime.fromisoformat(checks.first.locator("time").get_attribute("datetime"))
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=5), at  # the check just made
    assert checks.first.locator("time").inner_text() == french_datetime(at)
    assert checks.first.locator("h2").inner_text() == "CAF du Rhône"
    assert "Finalité : Tarification sociale des transports" in check
    assert (
        "Base légale : Tarification sociale des transports scolaires "
        "(Délibération n° 2026-114 du 3 mars 2026)" in check
    ), check
    assert "non renseignée" not in check and "Inscription confirmée" in check
    assert "Données que la réponse pouvait contenir : statut scolaire et année" in check


def _parents_see_the_check(browser: Any, base: str, axe: str) -> tuple[Any, str, list[str]]:
    """Zoé's mother sees the CAF's check under its habilitation; Jean's father does not.
    Her page (on Zoé's), Zoé's address, and the page's errors."""
    mother, errors = _phone(browser, base)
    mother.goto(f"{base}/mes-enfants")
    _fits(mother, axe)
    _parent_signs_in(mother, base, "a")
    _fits(mother, axe)
    zoe = mother.locator("a[href^='/mes-enfants/enfant/']", has_text="Zoé")
    assert "1 vérification de son inscription" in mother.inner_text("main")
    zoe_url = zoe.get_attribute("href")
    zoe.click()
    mother.wait_for_url(f"{base}{zoe_url}")
    _fits(mother, axe)
    _the_check(mother)
    assert errors == [], errors

    father, his_errors = _phone(browser, base)
    _parent_signs_in(father, base, "b")
    home = father.inner_text("main")
    assert "Jean" in home and "0 vérification de son inscription" in home
    assert "Zoé" not in father.content()
    father.click("a[href^='/mes-enfants/enfant/']:has-text('Jean')")
    father.wait_for_url(f"{base}/mes-enfants/enfant/*")
    assert "Aucune administration n'a vérifié l'inscription de Jean" in father.inner_text("main")
    assert "CAF" not in father.content()
    _fits(father, axe)
    response = father.goto(f"{base}{zoe_url}")  # Zoé's very address: not his child
    assert response is not None and response.status == 404
    assert "Aucun de vos enfants" in father.inner_text("main")
    assert "Zoé" not in father.content() and "CAF" not in father.content()
    _fits(father, axe)
    assert [e for e in his_errors if f"{base}{zoe_url}" not in e] == [], his_errors  # but 404
    anonymous, nobody_errors = _phone(browser, base)
    anonymous.goto(f"{base}{zoe_url}")  # not signed in: the sign-in page, nothing of Zoé
    assert anonymous.url == f"{base}/mes-enfants" and anonymous.is_visible("#franceconnect")
    assert "Zoé" not in anonymous.content() and "CAF" not in anonymous.content()
    assert nobody_errors == [], nobody_errors
    return mother, zoe_url, errors


def test_request_instruct_amend_validate_use_revoke(
    fixture_settings: Settings,
    tmp_path: Path,
    smtp_sink: SmtpSink,
    oidc_provider: OidcProvider,
    browser: Any,
    axe: str,
) -> None:
    settings = _settings(fixture_settings, tmp_path, smtp_sink, oidc_provider)
    with serve(create_app(settings)) as base:
        partner, partner_errors = _phone(browser, base)
        _sign_in(partner, base, "partenaire")
        _fits(partner, axe)
        _fill(partner, "Délibération du conseil départemental")
        partner.click("#soumettre")
        partner.wait_for_selector("#etat")
        assert partner.text_content("#etat") == "soumise"
        habilitation_url = partner.url
        _fits(partner, axe)

        instructor, instructor_errors = _phone(browser, base, DESK)  # at a desk
        _sign_in(instructor, base, "instructeur")
        _fits(instructor, axe)
        instructor.click(f"#instruction + ul a[href='{habilitation_url.removeprefix(base)}']")
        instructor.fill("#message-demander_modifications", "Précisez le numéro et la date.")
        instructor.click("#demander_modifications")
        instructor.wait_for_selector("#etat")
        assert instructor.text_content("#etat") == "modifications demandées"
        _fits(instructor, axe)

        partner.goto(habilitation_url)
        assert "Précisez le numéro et la date." in partner.inner_text("#fil + ol")
        _fits(partner, axe)
        partner.fill("#modifier #reference", "Délibération n° 2026-114 du 3 mars 2026")
        partner.click("#resoumettre")
        partner.wait_for_selector("#etat")
        assert partner.text_content("#etat") == "soumise"

        instructor.goto(habilitation_url)
        instructor.click(f"label[for='accorder-{scopes.BOURSIER}']")  # fewer than asked
        assert not instructor.is_checked(f"#accorder-{scopes.BOURSIER}")
        instructor.click("#valider")
        instructor.wait_for_selector("#accordes")
        assert instructor.text_content("#accordes") == scopes.SCOLARITE
        _fits(instructor, axe)
        dpo = [m for m in smtp_sink.wait(3) if DPO in str(m["To"])]
        assert sorted(m["Subject"] for m in dpo) == [
            "[Ardoise] Demande d'habilitation soumise par CAF du Rhône",
            "[Ardoise] Habilitation validée : CAF du Rhône",
        ]

        partner.goto(habilitation_url)
        partner.click("#emettre")
        secret = partner.text_content("#secret-jeton").strip()
        _fits(partner, axe)
        auth = {"Authorization": f"Bearer {secret}"}
        params = identity_params(PUPILS[0], recipient="23690001900019")
        works = httpx.get(f"{base}{API}", params=params, headers=auth, timeout=10)
        assert works.status_code == 200, works.text
        data = works.json()["data"]
        assert "est_scolarise" in data and "est_boursier" not in data  # within its scopes
        mother, zoe_url, mother_errors = _parents_see_the_check(browser, base, axe)

        register, register_errors = _phone(browser, base)
        register.goto(f"{base}/habilitations")
        assert "Tarification sociale des transports" in register.text_content("#registre")
        assert "validée" in register.text_content("#registre") and DPO not in register.content()
        _fits(register, axe)

        instructor.goto(habilitation_url)
        instructor.fill("#message-revoquer", "Convention dénoncée.")
        instructor.click("#revoquer")
        instructor.wait_for_selector("#etat")
        start = time.monotonic()
        refused = httpx.get(f"{base}{API}", params=params, headers=auth, timeout=10)
        assert refused.status_code == 401 and time.monotonic() - start < 1.0
        register.goto(f"{base}/habilitations")
        assert "révoquée" in register.text_content("#registre")
        _fits(register, axe)
        mother.reload()  # what was checked stays shown, under the habilitation now revoked
        _the_check(mother)
        _signs_out(mother, base, "/mes-enfants")  # a family phone: on the phone itself
        mother.goto(f"{base}{zoe_url}")
        assert mother.url == f"{base}/mes-enfants" and "Zoé" not in mother.content()
        partner.goto(f"{base}/partenaires/usage")  # the CAF's own calls, from the audit journal
        usage = partner.inner_text("main")
        assert "2 appels : 1 trouvé, 0 non trouvé, 1 refusé, 0 limité" in usage, usage
        _fits(partner, axe)
        _signs_out(partner, base, "/compte/connexion")
        errors = partner_errors + instructor_errors + register_errors + mother_errors
        assert errors == [], errors
