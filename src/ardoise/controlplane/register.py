"""The public register of granted habilitations (issue #16): every habilitation once
validated, with its state (validée, suspendue, révoquée, expirée). Organisation, SIRET,
purpose, legal basis, scopes and dates; **no personal data** (no contact, no DPO).

Read live by the page ``/habilitations`` and the Automation API, and published as the open
dataset ``ardoise-habilitations`` (:data:`DESCRIPTOR`) by every ``ardoise ingest``
(:func:`service_source`: the CSV is written here and ingested like any other dataset, so
the Explore API, the exports, the catalogue and DCAT serve it).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, select

from ardoise.controlplane.habilitations import GRANTED, HabilitationState
from ardoise.controlplane.permissions import Action, Principal, authorize
from ardoise.controlplane.schema import habilitations, organisations
from ardoise.release.service import ServiceSource
from ardoise.stored import as_utc

DATASET_ID = "ardoise-habilitations"
DESCRIPTOR = Path(__file__).with_name(f"{DATASET_ID}.yaml")
SOURCE_NAME = f"{DATASET_ID}.csv"
COLUMNS = (
    "habilitation", "organisation", "siret", "finalite", "base_legale", "reference",
    "scopes", "etat", "validee_le", "expire_le", "etat_depuis",
)  # fmt: skip


@dataclass(frozen=True)
class RegisterEntry:
    habilitation: str
    organisation: str
    siret: str
    finalite: str
    base_legale: str
    reference: str
    scopes: tuple[str, ...]
    etat: HabilitationState
    validee_le: datetime | None
    expire_le: datetime | None
    etat_depuis: datetime | None

    def row(self) -> tuple[str, ...]:
        def day(d: datetime | None) -> str:
            return d.date().isoformat() if d else ""

        return (
            self.habilitation, self.organisation, self.siret, self.finalite,
            self.base_legale, self.reference, " ".join(self.scopes), self.etat.value,
            day(self.validee_le), day(self.expire_le), day(self.etat_depuis),
        )  # fmt: skip


def entries(conn: Connection, principal: Principal) -> list[RegisterEntry]:
    """The register, newest grant first (anyone may read it)."""
    authorize(principal, Action.REGISTRE_LIRE, None)
    h = habilitations
    rows = conn.execute(
        select(
            h.c.id, organisations.c.nom, organisations.c.siret, h.c.finalite, h.c.base_legale,
            h.c.reference, h.c.scopes_accordes, h.c.etat, h.c.validee_le, h.c.expire_le,
            h.c.decidee_le,
        )
        .join(organisations, organisations.c.id == h.c.organisation_id)
        .where(h.c.etat.in_([s.value for s in GRANTED]))
        .order_by(h.c.validee_le.desc(), h.c.id)
    )  # fmt: skip
    return [
        RegisterEntry(
            r.id,
            r.nom,
            r.siret,
            r.finalite,
            r.base_legale,
            r.reference,
            tuple((r.scopes_accordes or "").split()),
            HabilitationState(r.etat),
            as_utc(r.validee_le),
            as_utc(r.expire_le),
            as_utc(r.decidee_le),
        )
        for r in rows
    ]


def write_source(engine: Engine, folder: Path) -> int:
    """``folder/ardoise-habilitations.csv``; the rows written (0: no file, nothing granted)."""
    with engine.connect() as conn:
        found = entries(conn, Principal())  # anonymous: what the public sees
    if not found:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / SOURCE_NAME).open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        out.writerows(e.row() for e in found)
    return len(found)


def service_source(engine: Engine) -> ServiceSource:
    """The register as a service dataset of ``ardoise ingest``."""
    return ServiceSource(DATASET_ID, DESCRIPTOR, lambda folder: write_source(engine, folder))
