"""Declaring a dataset through the producers' space (the form's text, an uploaded YAML)
and through the Automation API (issue #15): the same check as the catalog, the refusal
shown on the form in French with the text kept, CSRF required, only administrators see
the form; then a key submits the first version of the declared dataset."""

from __future__ import annotations

from starlette.testclient import TestClient

from ardoise.catalog.declared import declared_dir
from ardoise.controlplane import keys
from ardoise.controlplane.database import make_engine
from ardoise.controlplane.permissions import OPERATOR
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.controlplane.jobs import api_validated
from tests.controlplane.test_declarations import CSV, DESCRIPTOR, NEW
from tests.controlplane.test_espace import ORG, _grant, settings  # noqa: F401 (fixture)
from tests.controlplane.test_signin import BASE, _csrf, _sign_in
from tests.identity import OidcProvider

API = "/api/producteurs/v1"


def test_declare_through_the_form_and_the_upload(
    settings: Settings,  # noqa: F811
    oidc_provider: OidcProvider,
) -> None:
    descriptor = DESCRIPTOR.replace(f"id: {NEW}", "id: repas-du-ministere")
    with TestClient(create_app(settings), base_url=BASE, follow_redirects=False) as client:
        _sign_in(client, oidc_provider, "contrib")
        _grant(settings, "contrib@education.gouv.fr", "ministere", "contributeur")
        assert 'id="declarer"' not in client.get(ORG).text  # contributors do not declare
        token = _csrf(client, ORG)
        refused = client.post(f"{ORG}/declarer", data={"csrf": token, "descripteur": descriptor})
        assert refused.status_code == 403 and "déclarer un jeu" in refused.text
        _grant(settings, "contrib@education.gouv.fr", "ministere", "administrateur")
        assert 'id="declarer"' in client.get(ORG).text
        no_token = client.post(f"{ORG}/declarer", data={"descripteur": descriptor})
        assert no_token.status_code == 403 and "CSRF" in no_token.text
        wrong = descriptor.replace("title:", "titel:")
        page = client.post(f"{ORG}/declarer", data={"csrf": token, "descripteur": wrong})
        assert page.status_code == 200
        assert "clé inconnue &#39;titel&#39; (ligne 2)" in page.text
        assert "titel: Repas servis" in page.text  # the text is kept in the form
        done = client.post(f"{ORG}/declarer", data={"csrf": token, "descripteur": descriptor})
        assert "Jeu « repas-du-ministere » déclaré" in done.text
        assert "repas-du-ministere" in client.get(ORG).text.split("Membres", 1)[0]
        other = descriptor.replace("repas-du-ministere", "repas-envoye")
        files = {"fichier_descripteur": ("repas.yaml", other.encode(), "application/yaml")}
        sent = client.post(f"{ORG}/declarer", data={"csrf": token}, files=files)
        assert "Jeu « repas-envoye » déclaré" in sent.text
        bomb = {"fichier_descripteur": ("b.yaml", b"a: &a [1]\nb: [*a, *a]\n", "text/yaml")}
        hostile = client.post(f"{ORG}/declarer", data={"csrf": token}, files=bomb)
        assert "b.yaml : ligne 1 : les ancres et alias" in hostile.text
    assert sorted(p.name for p in declared_dir(settings).iterdir()) == [
        "repas-du-ministere.yaml",
        "repas-envoye.yaml",
    ]


def test_declare_then_submit_through_the_automation_api(settings: Settings) -> None:  # noqa: F811
    engine = make_engine(settings.controlplane_database_url.reveal())
    with engine.begin() as conn:
        _key, secret = keys.create_key(conn, OPERATOR, "ministere", "robot", ["lire", "soumettre"])
    engine.dispose()
    auth = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(settings), base_url=BASE) as client:
        files = {"descripteur": ("jeu.yaml", DESCRIPTOR.encode(), "application/yaml")}
        made = client.post(f"{API}/organisations/ministere/jeux", files=files, headers=auth)
        assert made.status_code == 201, made.text
        assert made.json()["dataset_id"] == NEW
        again = client.post(f"{API}/organisations/ministere/jeux", files=files, headers=auth)
        assert again.status_code == 409 and "déjà celui d" in again.text
        bad = {"descripteur": ("jeu.yaml", b"id: [", "application/yaml")}
        refused = client.post(f"{API}/organisations/ministere/jeux", files=bad, headers=auth)
        assert refused.status_code == 400 and "YAML illisible" in refused.text
        version = {"fichier": ("repas.csv", CSV, "text/csv")}
        sent = client.post(f"{API}/jeux/{NEW}/versions", files=version, headers=auth)
        assert sent.status_code == 202, sent.text  # queued: the app's worker validates it
        read = api_validated(client, sent.json()["url"], auth)
        assert read["state"] == "a_relire", read
        owned = client.get(f"{API}/organisations/ministere", headers=auth).json()["datasets"]
        assert owned == sorted(["test-ips-ecoles", NEW])
