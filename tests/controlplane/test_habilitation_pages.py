"""The habilitation pages (issue #16), in the browser's shape: a partner requests, an
instructor asks for a change, the partner amends and resubmits, the instructor validates
fewer scopes than asked, the DPO receives two emails, the partner's administrator gets the
token shown once; the public register lists it, then marks it revoked; every form refuses
a missing CSRF token; outsiders see nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ardoise.controlplane.database import make_engine, migrate
from ardoise.scolarite import scopes, tokens
from ardoise.scolarite.database import make_engine as registry_engine
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.controlplane.habilitation_world import DPO, PARTNER, PASSWORD, TECH, seed
from tests.identity import SmtpSink, signin_settings

BASE = "https://testserver"
FORM = {
    "base_legale": "Aide sociale facultative de la commune",
    "reference": "Délibération du conseil municipal",
    "finalite": "Aide sociale facultative",
    "scopes": [scopes.SCOLARITE, scopes.BOURSIER],
    "volume_annuel": "3000",
    "conservation_mois": "6",
    "technique_nom": "Camille Technique",
    "technique_email": TECH,
    "dpd_nom": "Dominique Protection",
    "dpd_email": DPO,
}


@pytest.fixture
def settings(fixture_settings: Settings, tmp_path: Path, smtp_sink: SmtpSink) -> Settings:
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    engine = make_engine(url)
    migrate(engine)
    seed(engine)
    engine.dispose()
    return signin_settings(
        fixture_settings.replace(
            controlplane_database_url=url,
            local_sign_in=True,
            scolarite_database_url=f"sqlite:///{tmp_path / 'scolarite.db'}",
        ),
        sink=smtp_sink,
    )


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path).text
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _sign_in(client: TestClient, kind: str) -> None:
    token = _csrf(client, "/compte/connexion")
    done = client.post(
        "/compte/connexion",
        data={"email": f"{kind}@exemple.fr", "mot_de_passe": PASSWORD, "csrf": token},
    )
    assert done.status_code == 303, done.text


def _post(client: TestClient, path: str, page: str, **data: object) -> object:
    return client.post(path, data={**data, "csrf": _csrf(client, page)})


def test_request_instruct_amend_validate_token_register(
    settings: Settings, smtp_sink: SmtpSink
) -> None:
    app = create_app(settings)
    with (
        TestClient(app, base_url=BASE, follow_redirects=False) as partner,
        TestClient(app, base_url=BASE, follow_redirects=False) as instructor,
        TestClient(app, base_url=BASE, follow_redirects=False) as stranger,
        TestClient(app, base_url=BASE, follow_redirects=False) as anonymous,
    ):
        assert anonymous.get("/producteurs/habilitations").status_code == 303  # sign in first
        _sign_in(partner, "partenaire")
        _sign_in(instructor, "instructeur")
        _sign_in(stranger, "etranger")
        listing = "/producteurs/habilitations"
        missing = partner.post(listing, data={**FORM, "organisation": PARTNER})
        assert missing.status_code == 403 and "CSRF" in missing.text
        made = _post(partner, listing, listing, **FORM, organisation=PARTNER, soumettre="1")
        assert made.status_code == 303, made.text  # type: ignore[attr-defined]
        page = made.headers["location"]  # type: ignore[attr-defined]
        hid = page.rsplit("/", 1)[-1]
        assert stranger.get(page).status_code == 404  # nothing shows the id exists
        listed = instructor.get(listing).text
        assert "Aide sociale facultative" in listed
        assert 'tabindex="0" role="region" aria-label="Habilitations"' in listed  # scrolls

        asked = _post(instructor, f"{page}/demander_modifications", page,
                      message="Joignez la date de la délibération.")  # fmt: skip
        assert asked.status_code == 303  # type: ignore[attr-defined]
        view = partner.get(page).text
        assert "modifications demandées" in view and "Joignez la date" in view
        amended = _post(partner, f"{page}/modifier", page, **{**FORM,
                        "reference": "Délibération n° 12 du 3 mars 2026"}, soumettre="1")  # fmt: skip
        assert amended.status_code == 303  # type: ignore[attr-defined]
        refused = _post(partner, f"{page}/valider", page, scopes=[scopes.SCOLARITE],
                        echeance="2030-01-01")  # fmt: skip
        assert refused.status_code == 403  # type: ignore[attr-defined]
        done = _post(instructor, f"{page}/valider", page, scopes=[scopes.SCOLARITE],
                     echeance="2028-06-30", message="Boursier non justifié.")  # fmt: skip
        assert done.status_code == 303, done.text  # type: ignore[attr-defined]
        mails = smtp_sink.wait(3)
        assert len([m for m in mails if DPO in str(m["To"])]) == 2  # submission, validation

        shown = _post(partner, f"{page}/jeton", page)
        assert shown.status_code == 200  # type: ignore[attr-defined]
        secret = shown.text.split('id="secret-jeton">', 1)[1].split("<", 1)[0]  # type: ignore[attr-defined]
        assert tokens.well_formed(secret)
        detail = partner.get(page).text
        assert secret not in detail  # shown once
        region = 'class="fr-table__container" tabindex="0" role="region" aria-label="Jetons'
        assert region in detail  # a phone scrolls the table: focusable, named (axe)
        registry = registry_engine(settings.scolarite_database_url.reveal())
        [token] = tokens.list_all(registry, hid)
        assert token.scopes == {scopes.SCOLARITE} and token.habilitation_id == hid

        register = anonymous.get("/habilitations")
        assert register.status_code == 200 and "Aide sociale facultative" in register.text
        assert "validée" in register.text and scopes.SCOLARITE in register.text
        assert DPO not in register.text and TECH not in register.text
        assert "Dominique" not in register.text and "Camille" not in register.text
        revoked = _post(instructor, f"{page}/revoquer", page, message="Convention dénoncée.")
        assert revoked.status_code == 303  # type: ignore[attr-defined]
        assert "révoquée" in anonymous.get("/habilitations").text
        [token] = tokens.list_all(registry, hid)
        assert token.revoque_le is not None
        unknown = _post(instructor, f"{page}/approuver", page, message="x")
        assert unknown.status_code == 400  # type: ignore[attr-defined]
        registry.dispose()


def test_long_identifiers_fit_a_phone(settings: Settings) -> None:
    """The scope identifiers (``men_statut_module_elementaire_formation``: 39 characters
    without a space) may break anywhere, or the request form scrolls sideways at 390 px; the
    tokens' table scrolls in a focusable region (axe: scrollable-region-focusable; asserted
    above). Both seen in Chromium by test_habilitation_browser.py."""
    with TestClient(create_app(settings), base_url=BASE, follow_redirects=False) as partner:
        _sign_in(partner, "partenaire")
        form = partner.get("/producteurs/habilitations").text
        labels = re.findall(r'<label class="([^"]*)" for="scope-([^"]+)">', form)
        assert sorted(s for _, s in labels) == sorted(scopes.ALL)
        assert all("ar-scope" in classes.split() for classes, _ in labels), labels
        css = re.search(r'href="([^"]*dashboard[^"]*\.css)"', form)
        assert css is not None
        rules = partner.get(css.group(1)).text
        assert re.search(r"\.ar-scope \{[^}]*overflow-wrap: anywhere", rules), rules[-600:]
