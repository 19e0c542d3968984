"""The producers' space (issue #15) in the browser's shape: signed in through the OIDC
provider on loopback, a contributor uploads a version through the form, sees its report;
a second person (reviewer) approves it from the review queue and the new figure is served;
keys are shown once; every form refuses a missing CSRF token; the permission table holds
on the pages (anonymous → sign-in, another organisation → 403)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ardoise.controlplane import accounts, datasets, organisations
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.queue import Stage
from ardoise.controlplane.validation import Validated
from ardoise.controlplane.worker import Worker
from ardoise.release.build import build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.controlplane.jobs import Held, page_validated
from tests.controlplane.test_signin import BASE, _csrf, _sign_in
from tests.fixtures import fake_referential
from tests.identity import OidcProvider, SmtpSink, signin_settings

IPS = "test-ips-ecoles"
ORG = "/producteurs/organisations/ministere"


@pytest.fixture
def settings(
    fixture_settings: Settings, tmp_path: Path, oidc_provider: OidcProvider, smtp_sink: SmtpSink
) -> Settings:
    assert build_release(fixture_settings, build_referential_fn=fake_referential).published
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
        organisations.create_organisation(
            conn, OPERATOR, id="depp", name="DEPP", siret="13002526500013", type="direction"
        )
        datasets.claim_for_ministry(conn, OPERATOR, [IPS])
    engine.dispose()
    oidc_provider.user("contrib", "contrib@education.gouv.fr", "Camille", "Contributrice")
    oidc_provider.user("relect", "relect@education.gouv.fr", "Rémi", "Relecteur")
    oidc_provider.user("autre", "autre@depp.fr", "Alex", "Autre")
    return signin_settings(
        fixture_settings.replace(controlplane_database_url=url), oidc_provider, smtp_sink
    )


def _grant(settings: Settings, email: str, org: str, *roles: str) -> None:
    engine = make_engine(settings.controlplane_database_url.reveal())
    with engine.begin() as conn:
        account = accounts.find_account(conn, email)
        for role in roles:
            organisations.add_member(conn, OPERATOR, org, account.id, role)
    engine.dispose()


def _edited_ips(settings: Settings) -> bytes:
    text = (settings.mirror / "ips" / "ecoles.csv").read_text("utf-8")
    return text.replace(";106.2", ";107.4").encode("utf-8")


def test_submit_review_publish_through_the_pages(
    settings: Settings, oidc_provider: OidcProvider, smtp_sink: SmtpSink
) -> None:
    app = create_app(settings)
    with (
        TestClient(app, base_url=BASE, follow_redirects=False) as camille,
        TestClient(app, base_url=BASE, follow_redirects=False) as remi,
    ):
        assert camille.get("/producteurs").headers["location"].startswith("/compte/connexion")
        _sign_in(camille, oidc_provider, "contrib")
        _sign_in(remi, oidc_provider, "relect")
        assert "aucune organisation" in camille.get("/producteurs").text
        _grant(settings, "contrib@education.gouv.fr", "ministere", "contributeur")
        _grant(settings, "relect@education.gouv.fr", "ministere", "relecteur")
        home = camille.get("/producteurs")
        assert "Ministère" in home.text and "contributeur" in home.text
        page = camille.get(ORG)
        assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
        files = {"fichier": ("ecoles.csv", _edited_ips(settings), "text/csv")}
        form = {"jeu": IPS, "note": "IPS 2024 révisé"}
        refused = camille.post(f"{ORG}/soumettre", data=form, files=files)
        assert refused.status_code == 403 and "CSRF" in refused.text  # no token, nothing kept
        sent = camille.post(
            f"{ORG}/soumettre", data=form | {"csrf": _csrf(camille, ORG)}, files=files
        )
        assert sent.status_code == 303, sent.text
        report_url = sent.headers["location"]
        report = page_validated(camille, report_url)  # validated by the app's worker
        assert "À relire" in report.text and "Rapport de vérification" in report.text
        assert 'id="approuver"' not in report.text  # four eyes: not for the submitter
        assert "0 ajoutée(s)" in report.text and "1 modifiée(s)" in report.text  # the preview
        (mail,) = smtp_sink.wait(1)
        assert mail["To"] == "relect@education.gouv.fr" and report_url in mail.get_content()
        queue = remi.get("/producteurs/relecture")
        assert report_url in queue.text
        page = remi.get(report_url)
        assert 'id="approuver"' in page.text
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        done = remi.post(f"{report_url}/approuver", data={"csrf": token, "commentaire": "OK"})
        assert done.status_code == 303
        assert "Publiée" in remi.get(report_url).text
        current = ReleaseStore(settings.var_dir).current_id()
        assert current is not None and current in remi.get(report_url).text
        figure = camille.get(
            f"/api/explore/v2.1/catalog/datasets/{IPS}/records", params={"where": "ips=107.4"}
        )
        assert figure.json()["total_count"] == 1
        assert "publiée" in smtp_sink.wait(2)[1]["Subject"]


def test_keys_are_shown_once_and_revocable(settings: Settings, oidc_provider: OidcProvider) -> None:
    with TestClient(create_app(settings), base_url=BASE, follow_redirects=False) as client:
        _sign_in(client, oidc_provider, "contrib")
        _grant(settings, "contrib@education.gouv.fr", "ministere", "administrateur")
        token = _csrf(client, ORG)
        made = client.post(
            f"{ORG}/cles", data={"csrf": token, "intitule": "robot", "scopes": ["lire"]}
        )
        assert made.status_code == 200
        secret = made.text.split('<code id="secret-cle">', 1)[1].split("<", 1)[0]
        assert secret.startswith("ard_")
        again = client.get(ORG)
        assert "robot" in again.text and secret not in again.text  # shown once
        api = client.get(
            "/api/producteurs/v1/organisations/ministere",
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert api.status_code == 200
        key_id = again.text.split("/cles/", 1)[1].split("/revoquer", 1)[0]
        client.post(f"{ORG}/cles/{key_id}/revoquer", data={"csrf": token})
        assert "révoquée" in client.get(ORG).text
        api = client.get(
            "/api/producteurs/v1/organisations/ministere",
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert api.status_code == 401
        journal = client.get(ORG).text.split("Journal", 1)[1]  # the journal, on the page
        assert "cle.creer" in journal and "cle.revoquer" in journal and secret not in journal


def test_another_organisation_is_refused(settings: Settings, oidc_provider: OidcProvider) -> None:
    with TestClient(create_app(settings), base_url=BASE, follow_redirects=False) as client:
        _sign_in(client, oidc_provider, "autre")
        _grant(settings, "autre@depp.fr", "depp", "administrateur")
        assert client.get("/producteurs/organisations/depp").status_code == 200
        other = client.get(ORG)
        assert other.status_code == 403 and "non autorisée" in other.text
        token = _csrf(client, "/producteurs/organisations/depp")
        files = {"fichier": ("ecoles.csv", b"a;b\n1;2\n", "text/csv")}
        post = client.post(f"{ORG}/soumettre", data={"csrf": token, "jeu": IPS}, files=files)
        assert post.status_code == 403
        assert "/producteurs/organisations/ministere" not in client.get("/producteurs").text


def test_the_submission_page_follows_its_validation(
    settings: Settings, oidc_provider: OidcProvider
) -> None:
    """No worker in the app: the test's worker is held inside the validation while the
    page is read; then a job that fails shows its French report (never a 500)."""
    settings = settings.replace(queue_worker_in_process="non")
    engine = make_engine(settings.controlplane_database_url.reveal())
    with TestClient(create_app(settings), base_url=BASE, follow_redirects=False) as camille:
        _sign_in(camille, oidc_provider, "contrib")
        _grant(settings, "contrib@education.gouv.fr", "ministere", "contributeur")
        files = {"fichier": ("ecoles.csv", _edited_ips(settings), "text/csv")}
        sent = camille.post(
            f"{ORG}/soumettre", data={"jeu": IPS, "csrf": _csrf(camille, ORG)}, files=files
        )
        assert sent.status_code == 303, sent.text  # answered, nothing validated yet
        url = sent.headers["location"]
        waiting = camille.get(url).text
        assert '<meta http-equiv="refresh"' in waiting and "En attente de validation" in waiting
        assert "En file d'attente" in waiting and "Rapport de vérification" not in waiting
        held = Held(Stage.CONTROLES)
        worker = threading.Thread(target=Worker(engine, settings, job=held).run_once)
        worker.start()
        assert held.reached.wait(60)
        running = camille.get(url).text
        assert '<meta http-equiv="refresh"' in running and "Validation en cours : 50 %" in running
        assert "Lecture du fichier : fait" in running and "Normalisation : fait" in running
        assert "Contrôles (types, territoires, années, clés) : en cours" in running
        assert "Aperçu (différences avec la version servie) : à venir" in running
        held.go()
        worker.join(60)
        done = camille.get(url).text
        assert 'http-equiv="refresh"' not in done and "Validation terminée" in done
        assert "À relire" in done and "1 modifiée(s)" in done

        def broken(*_args: object) -> Validated:
            raise RuntimeError("panne")

        sent = camille.post(
            f"{ORG}/soumettre", data={"jeu": IPS, "csrf": _csrf(camille, ORG)}, files=files
        )
        assert Worker(engine, settings, job=broken).run_until_idle() == 1
        failed = camille.get(sent.headers["location"])
        assert failed.status_code == 200 and "Validation échouée" in failed.text
        assert 'id="erreur-validation"' in failed.text and "rien n&#39;a été publié" in failed.text
        assert 'http-equiv="refresh"' not in failed.text
    engine.dispose()
