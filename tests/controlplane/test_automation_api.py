"""The producers' Automation API (issue #15): API keys submit a version, read its report,
approve (a different key: four eyes) and the new figure is served by the Explore API;
refusals have the platform's error shape and statuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ardoise.controlplane import datasets, keys, organisations
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.permissions import OPERATOR
from ardoise.release.build import build_release
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.controlplane.jobs import api_validated
from tests.fixtures import fake_referential

IPS = "test-ips-ecoles"
API = "/api/producteurs/v1"


@pytest.fixture
def setup(fixture_settings: Settings, tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    assert build_release(fixture_settings, build_referential_fn=fake_referential).published
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    settings = fixture_settings.replace(controlplane_database_url=url)
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
        secrets = {
            name: keys.create_key(conn, OPERATOR, org, name, scopes)[1]
            for name, org, scopes in (
                ("robot", "ministere", ["lire", "soumettre", "relire"]),
                ("relecture", "ministere", ["lire", "relire"]),
                ("lecture", "ministere", ["lire"]),
                ("autre", "depp", ["lire", "soumettre", "relire"]),
            )
        }
    engine.dispose()
    return settings, secrets


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _ips_of(client: TestClient, uai: str) -> float:
    body = client.get(
        f"/api/explore/v2.1/catalog/datasets/{IPS}/records?where=uai%3D%22{uai}%22"
    ).json()
    return float(body["results"][0]["ips"])


def test_a_key_submits_another_approves_and_the_figure_is_served(
    setup: tuple[Settings, dict[str, str]],
) -> None:
    settings, secrets = setup
    csv = (settings.mirror / "ips" / "ecoles.csv").read_text("utf-8").replace(";106.2", ";107.4")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert _ips_of(client, "0352778E") == pytest.approx(106.2)
        org = client.get(f"{API}/organisations/ministere", headers=_auth(secrets["lecture"]))
        assert org.status_code == 200 and IPS in org.json()["datasets"]
        files = {"fichier": ("ecoles.csv", csv.encode(), "text/csv")}
        sent = client.post(
            f"{API}/jeux/{IPS}/versions?note=IPS", files=files, headers=_auth(secrets["robot"])
        )
        assert sent.status_code == 202, sent.text  # accepted: validated in the background
        sid = sent.json()["id"]
        assert sent.json()["url"].endswith(f"{API}/soumissions/{sid}")
        read = api_validated(client, f"{API}/soumissions/{sid}", _auth(secrets["lecture"]))
        assert read["id"] == sid
        assert read["state"] == "a_relire" and read["report"]["valid"] is True  # type: ignore[index]
        own = client.post(
            f"{API}/soumissions/{sid}/approbation", json={}, headers=_auth(secrets["robot"])
        )
        assert own.status_code == 403 and "quatre yeux" in own.json()["message"]
        other = client.post(
            f"{API}/soumissions/{sid}/approbation", json={}, headers=_auth(secrets["autre"])
        )
        assert other.status_code == 403
        done = client.post(
            f"{API}/soumissions/{sid}/approbation",
            json={"commentaire": "ok"},
            headers=_auth(secrets["relecture"]),
        )
        assert done.status_code == 200 and done.json()["state"] == "publiee", done.text
        assert _ips_of(client, "0352778E") == pytest.approx(107.4)
        log = client.get(f"/api/v1/releases/{done.json()['release_id']}/changelog").json()
        assert [d["dataset_id"] for d in log["datasets"]] == [IPS]


def test_refusals_have_the_error_shape(setup: tuple[Settings, dict[str, str]]) -> None:
    settings, secrets = setup
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        none = client.get(f"{API}/organisations/ministere")
        assert none.status_code == 401 and set(none.json()) == {"error_code", "message"}
        wrong = client.get(f"{API}/organisations/ministere", headers=_auth("ard_" + "A" * 43))
        assert wrong.status_code == 401 and "inconnue ou révoquée" in wrong.json()["message"]
        files = {"fichier": ("ecoles.csv", b"a;b\n", "text/csv")}
        read_only = client.post(
            f"{API}/jeux/{IPS}/versions", files=files, headers=_auth(secrets["lecture"])
        )
        assert read_only.status_code == 403
        missing = client.get(f"{API}/soumissions/inconnue", headers=_auth(secrets["lecture"]))
        assert missing.status_code == 404
        xlsx = {"fichier": ("ecoles.xlsx", b"PK\x03\x04", "application/octet-stream")}
        bad = client.post(f"{API}/jeux/{IPS}/versions", files=xlsx, headers=_auth(secrets["robot"]))
        assert bad.status_code == 400 and "Format inattendu" in bad.json()["message"]
        spec = client.get("/api/openapi.json").json()  # documented, in its own section
    ours = {p: v for p, v in spec["paths"].items() if p.startswith(API)}
    assert f"{API}/jeux/{{dataset_id}}/versions" in ours and len(ours) == 11
    assert {  # the habilitations (#16): the public register, an organisation's, one
        f"{API}/registre/habilitations",
        f"{API}/organisations/{{organisation_id}}/habilitations",
        f"{API}/habilitations/{{habilitation_id}}",
    } <= set(ours)
    assert f"{API}/organisations/{{organisation_id}}/jeux" in ours  # declaring a dataset
    assert f"{API}/jeux/{{dataset_id}}/moisson" in ours  # scheduling its harvest
    assert f"{API}/jeux/{{dataset_id}}/versions/url" in ours  # submission by URL (#15)
    assert all(
        op["tags"] == ["Automatisation (producteurs)"] for v in ours.values() for op in v.values()
    )
