"""School certificates: canonical payload, Ed25519 signature, PDF with QR code, the
scope-restricted endpoint and the public verifier (authentic, revoked, tampered, forged)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pypdf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, update

from ardoise.scolarite import certificates
from ardoise.scolarite.certificates import Verdict, certificats
from ardoise.scolarite.certificates_signing import Signer, b64decode, b64encode, load_or_create
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.normalise import given_names_key, name_key
from ardoise.scolarite.schema import eleves

TODAY = date(2025, 11, 20)
PUBLIC_URL = "https://ardoise.example"
PUPILS: list[dict[str, Any]] = [
    {
        "identifiant": "0000000001A",
        "nom_naissance": "CŒUR-D’ARC",
        "prenom1": "Élodie",
        "prenom2": "Marie",
        "sexe": "F",
        "date_naissance": date(2013, 3, 1),
        "uai": "0750001A",
        "libelle_mef": "6EME",
    },
    {
        "identifiant": "0000000002B",
        "nom_naissance": "MARTIN",
        "prenom1": "Lucas",
        "prenom2": None,
        "sexe": "M",
        "date_naissance": date(2012, 5, 9),
        "uai": "0750001A",
        "libelle_mef": "5EME",
    },
]


def _row(p: dict[str, Any]) -> dict[str, Any]:
    given = [g for g in (p["prenom1"], p["prenom2"]) if g]
    return {
        **p,
        "nom_usage": None,
        "prenom3": None,
        "departement": "075",
        "region_academique": "11",
        "degre": "2D",
        "code_ministere": "06",
        "annee_scolaire": "2025-2026",
        "code_mef": "10010012110",
        "statut": "ST",
        "regime": "0",
        "boursier": False,
        "echelon_bourse": None,
        "date_entree": date(2025, 9, 1),
        "date_sortie": None,
        "synthetique": True,
        "nom_naissance_cle": name_key(p["nom_naissance"]),
        "nom_usage_cle": None,
        "prenoms_cle": given_names_key(given),
    }


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    var = tmp_path_factory.mktemp("var")
    engine = make_engine(f"sqlite:///{var / 'scolarite.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(eleves.insert(), [_row(p) for p in PUPILS])
    yield engine, var
    engine.dispose()


@pytest.fixture(scope="module")
def signer(registry: tuple[Engine, Path]) -> Signer:
    return load_or_create(registry[1])


def _issue(engine: Engine, signer: Signer, identifiant: str) -> certificates.SignedCertificate:
    with engine.connect() as conn:
        row = conn.execute(eleves.select().where(eleves.c.identifiant == identifiant)).one()
    return certificates.issue(
        engine, signer, dict(row._mapping), today=TODAY, school_name="Collège Exemple"
    )


def test_canonical_payload_is_stable_and_nfc() -> None:
    a = certificates.Certificate(
        "a" * 32,
        "CŒUR",
        ("E\u0301lodie",),
        "2013-03-01",
        "0750001A",
        None,
        "2025-2026",
        "6EME",
        "2025-11-20",
        True,
    )
    b = certificates.Certificate(
        "a" * 32,
        "CŒUR",
        ("Élodie",),
        "2013-03-01",
        "0750001A",
        None,
        "2025-2026",
        "6EME",
        "2025-11-20",
        True,
    )
    assert a.canonical() == b.canonical()
    assert b" " not in a.canonical() and b"\n" not in a.canonical()
    assert certificates.from_payload(a.canonical()) == b
    assert certificates.from_payload(a.canonical() + b" ") is None  # not canonical


def test_key_is_created_once_private_and_stable(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    path = tmp_path / "scolarite" / "certificats-ed25519.pem"
    assert path.stat().st_mode & 0o077 == 0
    assert load_or_create(tmp_path).public_raw() == first.public_raw()
    assert load_or_create(tmp_path / "other").public_raw() != first.public_raw()


def test_issued_certificate_verifies_and_tampering_is_refused(
    registry: tuple[Engine, Path], signer: Signer
) -> None:
    engine, _ = registry
    signed = _issue(engine, signer, "0000000001A")
    ok = certificates.check_document(engine, signer.public, signed.document, today=TODAY)
    assert ok.verdict is Verdict.VALID
    assert ok.certificate == signed.certificate
    payload_text, _, sig = signed.document.partition(".")
    data = bytearray(b64decode(payload_text) or b"")
    for i in (0, len(data) // 2, len(data) - 1):  # flip one byte anywhere in the payload
        flipped = bytearray(data)
        flipped[i] ^= 0x01
        doc = f"{b64encode(bytes(flipped))}.{sig}"
        assert certificates.check_document(engine, signer.public, doc).verdict is Verdict.FORGED
    # Same payload signed with another key: refused.
    other = Signer(Ed25519PrivateKey.generate())
    forged = f"{payload_text}.{other.sign(bytes(data))}"
    assert certificates.check_document(engine, signer.public, forged).verdict is Verdict.FORGED
    # A well-signed certificate that was never issued (key stolen, id invented): unknown.
    invented = certificates.Certificate(
        "b" * 32,
        "MARTIN",
        ("Lucas",),
        "2012-05-09",
        "0750001A",
        None,
        "2025-2026",
        "5EME",
        "2025-11-20",
        True,
    )
    doc = f"{b64encode(invented.canonical())}.{signer.sign(invented.canonical())}"
    assert certificates.check_document(engine, signer.public, doc).verdict is Verdict.UNKNOWN


def test_stored_certificate_altered_in_the_database_is_refused(
    registry: tuple[Engine, Path], signer: Signer
) -> None:
    engine, _ = registry
    signed = _issue(engine, signer, "0000000002B")
    cert_id = signed.certificate.id
    assert certificates.check(engine, signer.public, cert_id, today=TODAY).verdict is Verdict.VALID
    altered = signed.certificate.canonical().replace(b"5EME", b"3EME").decode()
    with engine.begin() as conn:
        conn.execute(update(certificats).where(certificats.c.id == cert_id).values(charge=altered))
    assert certificates.check(engine, signer.public, cert_id).verdict is Verdict.FORGED
    other = Signer(Ed25519PrivateKey.generate())
    assert certificates.check(engine, other.public, cert_id).verdict is Verdict.FORGED


@pytest.mark.parametrize("unicode_font", [True, False])
def test_pdf_shows_the_certificate_and_carries_the_signed_document(
    registry: tuple[Engine, Path],
    signer: Signer,
    unicode_font: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ardoise.scolarite import certificates_pdf
    from ardoise.scolarite.certificates_pdf import render

    if not unicode_font:  # a machine without DejaVu: core font, transliterated names
        monkeypatch.setattr(certificates_pdf, "FONT_CANDIDATES", ())

    signed = _issue(registry[0], signer, "0000000001A")
    pdf = render(signed, PUBLIC_URL)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata["/Keywords"] == signed.document
    text = reader.pages[0].extract_text()
    for shown in (
        "CERTIFICAT DE SCOLARITÉ",
        "2025-2026",
        "6EME",
        "0750001A",
        "1er mars 2013",
        signed.certificate.id,
        "SYNTHÉTIQUES",
        f"{PUBLIC_URL}/verifier/{signed.certificate.id}",
    ):
        assert shown in text
    assert ("CŒUR-D’ARC" in text) or ("COEUR-D'ARC" in text)  # Unicode font or fallback
    assert len(reader.pages[0].images) == 1  # the QR code
