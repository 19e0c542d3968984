"""A small world for the habilitation tests (issue #16): the ministry (with an
instructor), a partner administration (a CAF, with an administrator and a contributor), a
stranger organisation, and a request filled in as a partner would."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from ardoise.controlplane import accounts, organisations
from ardoise.controlplane.habilitations import Request
from ardoise.controlplane.permissions import OPERATOR, Principal
from ardoise.scolarite import scopes

PARTNER, STRANGER = "caf-69", "region-84"
DPO, TECH = "dpd@caf69.example.fr", "tech@caf69.example.fr"
PASSWORD = "mot-de-passe-de-test"


@dataclass(frozen=True)
class World:
    engine: Engine
    accounts: dict[str, str]  # kind → account id

    def principal(self, conn: Connection, kind: str) -> Principal:
        return accounts.principal_of(conn, self.accounts[kind], f"session-{kind}")


def request(**changes: object) -> Request:
    values: dict[str, object] = {
        "base_legale": "Tarification sociale des transports scolaires, délibération du conseil",
        "reference": "Code de l'action sociale et des familles, art. L. 262-40",
        "finalite": "Tarification sociale des transports",
        "scopes": (scopes.SCOLARITE, scopes.ETABLISSEMENT, scopes.BOURSIER),
        "volume_annuel": 12000,
        "conservation_mois": 12,
        "technique_nom": "Camille Technique",
        "technique_email": TECH,
        "dpd_nom": "Dominique Protection",
        "dpd_email": DPO,
    }
    values.update(changes)
    return Request(**values)  # type: ignore[arg-type]


def seed(engine: Engine) -> World:
    ids: dict[str, str] = {}
    with engine.begin() as conn:
        organisations.create_organisation(
            conn, OPERATOR, id="ministere", name="Ministère", siret="11004301500012",
            type="ministere",
        )  # fmt: skip
        organisations.create_organisation(
            conn, OPERATOR, id=PARTNER, name="CAF du Rhône", siret="23690001900019",
            type="departement",
        )  # fmt: skip
        organisations.create_organisation(
            conn, OPERATOR, id=STRANGER, name="Région", siret="21690123100011", type="region"
        )
        for kind, org, role in (
            ("instructeur", "ministere", "instructeur"),
            ("partenaire", PARTNER, "administrateur"),
            ("contributeur", PARTNER, "contributeur"),
            ("etranger", STRANGER, "administrateur"),
            ("national", None, None),
        ):
            ids[kind] = accounts.create_local_account(
                conn, OPERATOR, email=f"{kind}@exemple.fr", name=kind, password=PASSWORD,
                national=kind == "national",
            ).id  # fmt: skip
            if org and role:
                organisations.add_member(conn, OPERATOR, org, ids[kind], role)
    return World(engine, ids)
