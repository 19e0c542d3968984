"""The certificate endpoint (token with every scope the certificate shows) and the public
verifier over HTTP: authentic, revoked when the pupil leaves, tampered, unknown."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from ardoise.scolarite import certificates, scopes, tokens
from ardoise.scolarite.certificates_routes import build_router
from ardoise.scolarite.certificates_signing import Signer, b64decode, load_or_create
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.schema import eleves
from ardoise.scolarite.service import ScolariteService
from tests.scolarite.conftest import new_registry_url
from tests.scolarite.test_certificates import PUBLIC_URL, PUPILS, _row

SIRET = "13002526500013"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[Engine, Path, str]]:
    """The same registry on SQLite and on PostgreSQL (skipped without the test cluster)."""
    var = tmp_path_factory.mktemp("var")
    url = new_registry_url(request.param, var, request)
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(eleves.insert(), [_row(p) for p in PUPILS])
    yield engine, var, url
    engine.dispose()


@pytest.fixture(scope="module")
def signer(registry: tuple[Engine, Path, str]) -> Signer:
    return load_or_create(registry[1])


@pytest.fixture(scope="module")
def client(registry: tuple[Engine, Path, str], signer: Signer) -> Iterator[TestClient]:
    service = ScolariteService(registry[2], clock=lambda: datetime(2025, 11, 20, 10, tzinfo=UTC))
    app = FastAPI()
    names = {PUPILS[1]["uai"]: "Collège Jean Moulin"}  # the release's directory, in small
    app.include_router(build_router(service, lambda: signer, PUBLIC_URL, names.get))
    with TestClient(app) as c:
        yield c
    service.close()


def _token(engine: Engine, wanted: list[str]) -> str:
    _, secret = tokens.create(
        engine,
        siret=SIRET,
        intitule="Mairie de test",
        scopes=wanted,
        expire_le=datetime.now(UTC) + timedelta(days=30),
        limite_par_seconde=1000,
    )
    return secret


def _params(p: dict[str, Any], **extra: str) -> dict[str, Any]:
    d: date = p["date_naissance"]
    return {
        "recipient": SIRET,
        "nomNaissance": p["nom_naissance"],
        "prenoms[]": [p["prenom1"]],
        "sexeEtatCivil": p["sexe"],
        "anneeDateNaissance": d.year,
        "moisDateNaissance": d.month,
        "jourDateNaissance": d.day,
        "codeEtablissement": p["uai"],
        "anneeScolaire": "2025-2026",
        **extra,
    }


def test_endpoint_requires_token_and_every_shown_scope(
    registry: tuple[Engine, Path, str], client: TestClient
) -> None:
    engine = registry[0]
    params = _params(PUPILS[0])
    assert client.get("/v3/men/scolarites/certificat", params=params).status_code == 401
    partial = _token(engine, [scopes.IDENTITE, scopes.SCOLARITE])
    r = client.get(
        "/v3/men/scolarites/certificat",
        params=params,
        headers={"Authorization": f"Bearer {partial}"},
    )
    assert r.status_code == 403
    assert r.json()["errors"][0]["code"] == "00100"


def test_endpoint_issues_a_pdf_then_the_verifier_follows_the_pupil(
    registry: tuple[Engine, Path, str], client: TestClient
) -> None:
    engine = registry[0]
    secret = _token(engine, [scopes.IDENTITE, scopes.SCOLARITE, scopes.ETABLISSEMENT, scopes.MEF])
    auth = {"Authorization": f"Bearer {secret}"}
    r = client.get("/v3/men/scolarites/certificat", params=_params(PUPILS[1]), headers=auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-request-id"]
    doc = pypdf.PdfReader(io.BytesIO(r.content)).metadata["/Keywords"]
    cert_id = doc.split(".")[0]
    cert = certificates.from_payload(b64decode(cert_id) or b"")
    assert cert is not None and cert.nom == "MARTIN"

    j = client.get(
        "/v3/men/scolarites/certificat",
        params=_params(PUPILS[1]),
        headers={**auth, "Accept": "application/json"},
    ).json()["data"]
    assert j["url_verification"] == f"{PUBLIC_URL}/verifier/{j['certificat']['id']}"
    assert j["certificat"]["etablissement"] == {  # the school's name beside its UAI
        "uai": PUPILS[1]["uai"],
        "nom": "Collège Jean Moulin",
    }

    shown = client.get(f"/verifier/{cert.id}").json()
    assert shown["statut"] == "valide"
    assert shown["certificat"] == cert.payload()  # exactly what the certificate shows
    page = client.get(f"/verifier/{cert.id}", headers={"Accept": "text/html"})
    assert "authentique et valide" in page.text and "MARTIN" in page.text
    sig = doc.split(".")[1]
    assert (
        client.get(f"/verifier/{cert.id}", params={"signature": sig}).json()["statut"] == "valide"
    )
    bad = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BA")
    assert (
        client.get(f"/verifier/{cert.id}", params={"signature": bad}).json()["statut"] == "falsifie"
    )
    assert client.post("/verifier", json={"document": doc}).json()["statut"] == "valide"

    # The pupil leaves the school: the certificate is revoked, the answer says so.
    with engine.begin() as conn:
        conn.execute(
            update(eleves)
            .where(eleves.c.identifiant == "0000000002B")
            .values(date_sortie=date(2025, 11, 15))
        )
    revoked = client.get(f"/verifier/{cert.id}").json()
    assert revoked["statut"] == "revoque"
    assert client.post("/verifier", json={"document": doc}).json()["statut"] == "revoque"
    r = client.get("/v3/men/scolarites/certificat", params=_params(PUPILS[1]), headers=auth)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "30004"


@pytest.mark.parametrize("cert_id", ["0" * 32, "not-an-id", "x' OR '1'='1", "%00", "A" * 5000])
def test_unknown_or_hostile_ids_are_refused_cleanly(client: TestClient, cert_id: str) -> None:
    r = client.get(f"/verifier/{cert_id}")
    assert r.status_code == 404
    assert r.json()["statut"] == "inconnu"
    assert "certificat" not in r.json()


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b'{"document": 3}', b'{"document": "a.b"}', b'{"document": "%%%.%%%"}'],
)
def test_posted_documents_that_are_not_certificates(client: TestClient, body: bytes) -> None:
    r = client.post("/verifier", content=body)
    assert r.status_code in (200, 422)
    assert r.json()["statut"] in ("invalide", "falsifie")


def test_public_key_is_published(client: TestClient, signer: Signer) -> None:
    r = client.get("/verifier/cle-publique")
    assert r.status_code == 200
    assert r.content == signer.public_pem()
    assert base64.b64decode(b"".join(r.content.splitlines()[1:-1]))


def test_the_app_mounts_the_verifier(tmp_path: Path) -> None:
    from ardoise.settings import load_settings
    from ardoise.web.app import create_app

    settings = load_settings(environ={}, var_dir=tmp_path / "var", mirror=tmp_path / "none")
    with TestClient(create_app(settings)) as c:
        r = c.get("/verifier/" + "0" * 32)  # no registry yet: nothing was ever issued
        assert r.status_code == 404 and r.json()["statut"] == "inconnu"
        pem = c.get("/verifier/cle-publique")
        assert pem.status_code == 200 and pem.content.startswith(b"-----BEGIN PUBLIC KEY")
    assert (tmp_path / "var" / "scolarite" / "certificats-ed25519.pem").is_file()


def test_every_certificate_call_is_audited_and_bad_parameters_are_422(
    registry: tuple[Engine, Path, str], client: TestClient
) -> None:
    from sqlalchemy import func, select

    from ardoise.scolarite.schema import audit

    engine = registry[0]
    secret = _token(engine, [scopes.IDENTITE, scopes.SCOLARITE, scopes.ETABLISSEMENT, scopes.MEF])

    def count() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(audit)
                    .where(audit.c.endpoint == "/v3/men/scolarites/certificat")
                ).scalar_one()
            )

    before = count()
    r = client.get(
        "/v3/men/scolarites/certificat",
        params={"recipient": "123"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 422
    assert {e["source"]["parameter"] for e in r.json()["errors"]} >= {"recipient", "nomNaissance"}
    unknown = {**_params(PUPILS[0]), "nomNaissance": "PERSONNE"}
    r = client.get(
        "/v3/men/scolarites/certificat",
        params=unknown,
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "30003"
    assert count() == before + 2
