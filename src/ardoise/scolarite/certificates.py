"""School certificates (*certificats de scolarité*): issue, store, verify.

A certificate is a canonical JSON payload (certificate id, pupil's names and birth date,
school, school year, level, date of issue, synthetic flag), signed with Ed25519
(:mod:`ardoise.scolarite.certificates_signing`). Canonical means: NFC strings, keys
sorted, no spaces, UTF-8; the same certificate always gives the same bytes.

Each issued certificate is stored (``scolarite_certificats``: id, payload, signature, the
enrolment it attests). A certificate is:

* ``valide`` — known id, stored signature checks with the published key, and the pupil is
  still enrolled in that school for that year (no exit date, or one still to come);
* ``revoque`` — authentic, but the pupil has left the school (or the enrolment is gone);
* ``falsifie`` — a signature that does not check (altered payload, another key), or a
  presented document that differs from what was issued;
* ``inconnu`` — no certificate was issued with this id.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    select,
)

from ardoise.scolarite.certificates_signing import Signer, b64decode, b64encode, verify
from ardoise.scolarite.schema import eleves, metadata

FORMAT_VERSION = 1
_ID_LENGTH = 32

certificats = Table(
    "scolarite_certificats",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("eleve_id", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    Column("identifiant", String(16), nullable=False),
    Column("uai", String(8), nullable=False),
    Column("annee_scolaire", String(9), nullable=False),
    Column("charge", Text, nullable=False),  # canonical payload (UTF-8 JSON)
    Column("signature", String(88), nullable=False),
    Column("emis_le", DateTime(timezone=True), nullable=False),
)


class Verdict(Enum):
    VALID = "valide"
    REVOKED = "revoque"
    FORGED = "falsifie"
    UNKNOWN = "inconnu"


VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.VALID: "Certificat authentique et valide : l'élève est scolarisé dans cet "
    "établissement.",
    Verdict.REVOKED: "Certificat authentique mais révoqué : l'élève a quitté l'établissement.",
    Verdict.FORGED: "Certificat falsifié : sa signature ne correspond pas au certificat émis.",
    Verdict.UNKNOWN: "Aucun certificat n'a été émis avec cet identifiant.",
}


@dataclass(frozen=True)
class Certificate:
    """What a certificate shows — and all that its verification shows."""

    id: str
    nom: str
    prenoms: tuple[str, ...]
    date_naissance: str  # ISO date
    uai: str
    etablissement: str | None  # school name when known
    annee_scolaire: str
    niveau: str
    date: str  # ISO date of issue
    synthetique: bool

    def payload(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "id": self.id,
            "eleve": {
                "nom": self.nom,
                "prenoms": list(self.prenoms),
                "date_naissance": self.date_naissance,
            },
            "etablissement": {"uai": self.uai, "nom": self.etablissement},
            "annee_scolaire": self.annee_scolaire,
            "niveau": self.niveau,
            "date": self.date,
            "synthetique": self.synthetique,
        }

    def canonical(self) -> bytes:
        return canonical(self.payload())


@dataclass(frozen=True)
class SignedCertificate:
    certificate: Certificate
    signature: str  # base64url Ed25519 signature of ``certificate.canonical()``

    @property
    def document(self) -> str:
        """The signed certificate as one text: ``<payload base64url>.<signature>``."""
        return f"{b64encode(self.certificate.canonical())}.{self.signature}"


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    certificate: Certificate | None  # shown for valid and revoked certificates only

    @property
    def message(self) -> str:
        return VERDICT_LABELS[self.verdict]


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        _nfc(payload), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def from_payload(data: bytes) -> Certificate | None:
    """The certificate in canonical ``data``, or None when it is not one."""
    try:
        p = json.loads(data.decode("utf-8"))
        cert = Certificate(
            id=str(p["id"]),
            nom=str(p["eleve"]["nom"]),
            prenoms=tuple(str(x) for x in p["eleve"]["prenoms"]),
            date_naissance=str(p["eleve"]["date_naissance"]),
            uai=str(p["etablissement"]["uai"]),
            etablissement=None
            if p["etablissement"]["nom"] is None
            else str(p["etablissement"]["nom"]),
            annee_scolaire=str(p["annee_scolaire"]),
            niveau=str(p["niveau"]),
            date=str(p["date"]),
            synthetique=bool(p["synthetique"]),
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return cert if cert.canonical() == data else None


def well_formed_id(value: str) -> bool:
    return len(value) == _ID_LENGTH and all(c in "0123456789abcdef" for c in value)


def certificate_for(
    record: dict[str, Any], today: date, school_name: str | None = None
) -> Certificate:
    """A new certificate for an enrolment row of ``scolarite_eleves``."""
    given = tuple(p for p in (record["prenom1"], record["prenom2"], record["prenom3"]) if p)
    birth = record["date_naissance"]
    return Certificate(
        id=uuid.uuid4().hex,
        nom=str(record["nom_naissance"]),
        prenoms=given,
        date_naissance=birth.isoformat() if isinstance(birth, date) else str(birth),
        uai=str(record["uai"]),
        etablissement=school_name,
        annee_scolaire=str(record["annee_scolaire"]),
        niveau=str(record["libelle_mef"] or record["code_mef"] or "non renseigné"),
        date=today.isoformat(),
        synthetique=bool(record["synthetique"]),
    )


def enrolled(record: dict[str, Any] | None, today: date) -> bool:
    """Still enrolled: the row exists and has no exit date, or one still to come."""
    if record is None:
        return False
    exit_date = record["date_sortie"]
    return exit_date is None or exit_date > today


def issue(
    engine: Engine,
    signer: Signer,
    record: dict[str, Any],
    *,
    today: date | None = None,
    school_name: str | None = None,
) -> SignedCertificate:
    """Sign and store a certificate for ``record`` (an enrolment the caller has matched)."""
    today = today or datetime.now(UTC).date()
    cert = certificate_for(record, today, school_name)
    data = cert.canonical()
    signed = SignedCertificate(cert, signer.sign(data))
    with engine.begin() as conn:
        conn.execute(
            certificats.insert().values(
                id=cert.id,
                eleve_id=record["id"],
                identifiant=record["identifiant"],
                uai=cert.uai,
                annee_scolaire=cert.annee_scolaire,
                charge=data.decode("utf-8"),
                signature=signed.signature,
                emis_le=datetime.now(UTC),
            )
        )
    return signed


def _enrolment(engine: Engine, row: Any) -> dict[str, Any] | None:
    with engine.connect() as conn:
        found = conn.execute(
            select(eleves).where(
                eleves.c.identifiant == row.identifiant,
                eleves.c.uai == row.uai,
                eleves.c.annee_scolaire == row.annee_scolaire,
            )
        ).first()
    return None if found is None else dict(found._mapping)


def check(
    engine: Engine,
    public: Ed25519PublicKey,
    cert_id: str,
    *,
    presented: str | None = None,
    today: date | None = None,
) -> Verification:
    """Verify certificate ``cert_id``; ``presented``: a signature or document carried by
    the paper (QR code), which must be the one issued."""
    today = today or datetime.now(UTC).date()
    if not well_formed_id(cert_id):
        return Verification(Verdict.UNKNOWN, None)
    with engine.connect() as conn:
        row = conn.execute(select(certificats).where(certificats.c.id == cert_id)).first()
    if row is None:
        return Verification(Verdict.UNKNOWN, None)
    data = str(row.charge).encode("utf-8")
    cert = from_payload(data)
    if cert is None or cert.id != cert_id or not verify(public, data, str(row.signature)):
        return Verification(Verdict.FORGED, None)
    if presented is not None and presented not in (
        row.signature,
        f"{b64encode(data)}.{row.signature}",
    ):
        return Verification(Verdict.FORGED, None)
    if not enrolled(_enrolment(engine, row), today):
        return Verification(Verdict.REVOKED, cert)
    return Verification(Verdict.VALID, cert)


def check_document(
    engine: Engine, public: Ed25519PublicKey, document: str, *, today: date | None = None
) -> Verification:
    """Verify a signed document ``<payload base64url>.<signature>`` (see
    :attr:`SignedCertificate.document`): signature first, then the issued certificate."""
    payload_text, _, signature = document.strip().partition(".")
    data = b64decode(payload_text)
    if data is None or not verify(public, data, signature):
        return Verification(Verdict.FORGED, None)
    cert = from_payload(data)
    if cert is None:
        return Verification(Verdict.FORGED, None)
    return check(engine, public, cert.id, presented=document.strip(), today=today)
