"""Which organisation owns each dataset. The datasets of the mirror (``ardoise ingest``)
belong to the ministry's organisation (:data:`~ardoise.controlplane.organisations.MINISTRY`);
a producer's dataset belongs to the organisation that declared it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from ardoise.controlplane.errors import Conflict, ControlPlaneError
from ardoise.controlplane.journal import record
from ardoise.controlplane.organisations import MINISTRY, find_organisation
from ardoise.controlplane.permissions import Action, Principal, authorize
from ardoise.controlplane.schema import jeux

_DATASET = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")


def owner(conn: Connection, dataset_id: str) -> str | None:
    """The id of the organisation that owns ``dataset_id``, or None."""
    return conn.execute(
        select(jeux.c.organisation_id).where(jeux.c.dataset_id == dataset_id)
    ).scalar_one_or_none()


def declare_dataset(
    conn: Connection, principal: Principal, organisation_id: str, dataset_id: str
) -> None:
    """Record that ``organisation_id`` owns the new dataset ``dataset_id``."""
    if not _DATASET.match(dataset_id):
        raise ControlPlaneError(
            f"Identifiant de jeu « {dataset_id} » invalide : minuscules, chiffres, - et _."
        )
    find_organisation(conn, organisation_id)
    authorize(principal, Action.JEU_DECLARER, organisation_id)
    held = owner(conn, dataset_id)
    if held is not None:
        raise Conflict(f"Le jeu « {dataset_id} » appartient déjà à l'organisation « {held} ».")
    conn.execute(
        jeux.insert().values(
            dataset_id=dataset_id, organisation_id=organisation_id, declare_le=datetime.now(UTC)
        )
    )
    record(conn, principal, Action.JEU_DECLARER, organisation_id, dataset_id)


def datasets_of(conn: Connection, principal: Principal, organisation_id: str) -> list[str]:
    find_organisation(conn, organisation_id)
    authorize(principal, Action.ORGANISATION_LIRE, organisation_id)
    query = select(jeux.c.dataset_id).where(jeux.c.organisation_id == organisation_id)
    return sorted(conn.execute(query).scalars())


def claim_for_ministry(conn: Connection, principal: Principal, dataset_ids: Iterable[str]) -> int:
    """Give the ministry's organisation every dataset of ``dataset_ids`` nobody owns (the
    catalog's descriptors); the number newly recorded."""
    find_organisation(conn, MINISTRY)
    authorize(principal, Action.JEU_DECLARER, MINISTRY)
    held = set(conn.execute(select(jeux.c.dataset_id)).scalars())
    new = sorted(set(dataset_ids) - held)
    now = datetime.now(UTC)
    for dataset_id in new:
        conn.execute(
            jeux.insert().values(dataset_id=dataset_id, organisation_id=MINISTRY, declare_le=now)
        )
    if new:
        record(conn, principal, Action.JEU_DECLARER, MINISTRY, None, {"jeux": len(new)})
    return len(new)
