"""Restricted datasets and their grants (issue #16), decided by the owning organisation.

A dataset is public unless its owner's administrators (or the national administrator)
restrict it. A grant gives one organisation — all of its members and keys, or only those
holding one role — the rows of an ODSQL filter (none: every row) without some fields. The
query layer enforces them (``ardoise.query.access``); this module only stores and reads
them, each change journaled.

>>> hidden_fields(" ips  secteur ips ")
('ips', 'secteur')
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select, update

from ardoise.controlplane.datasets import owner
from ardoise.controlplane.errors import ControlPlaneError
from ardoise.controlplane.journal import record
from ardoise.controlplane.organisations import find_organisation
from ardoise.controlplane.permissions import Action, Principal, Role, authorize
from ardoise.controlplane.schema import acces, jeux_restreints
from ardoise.odsql import parser
from ardoise.odsql.errors import QueryError
from ardoise.stored import as_utc


@dataclass(frozen=True)
class DatasetGrant:
    id: str
    dataset_id: str
    organisation_id: str
    role: Role | None
    row_filter: str | None
    hidden: tuple[str, ...]
    granted_at: datetime


def hidden_fields(text: str) -> tuple[str, ...]:
    """Field names from a space- or comma-separated list, once each, in order."""
    return tuple(dict.fromkeys(text.replace(",", " ").split()))


def _owned(conn: Connection, principal: Principal, action: Action, dataset_id: str) -> str:
    organisation_id = owner(conn, dataset_id)
    if organisation_id is None:
        raise ControlPlaneError(
            f"Le jeu « {dataset_id} » n'est déclaré par aucune organisation : "
            "déclarez-le d'abord (`ardoise organisation jeux`)."
        )
    authorize(principal, action, organisation_id)
    return organisation_id


def restrict(conn: Connection, principal: Principal, dataset_id: str) -> None:
    """Make ``dataset_id`` restricted: invisible on every surface to whoever has no grant."""
    organisation_id = _owned(conn, principal, Action.JEU_RESTREINDRE, dataset_id)
    if dataset_id in restricted_datasets(conn):
        return
    conn.execute(jeux_restreints.insert().values(dataset_id=dataset_id, restreint_le=_now()))
    record(conn, principal, Action.JEU_RESTREINDRE, organisation_id, dataset_id, {"public": False})


def make_public(conn: Connection, principal: Principal, dataset_id: str) -> None:
    organisation_id = _owned(conn, principal, Action.JEU_RESTREINDRE, dataset_id)
    done = conn.execute(delete(jeux_restreints).where(jeux_restreints.c.dataset_id == dataset_id))
    if done.rowcount:
        record(
            conn, principal, Action.JEU_RESTREINDRE, organisation_id, dataset_id, {"public": True}
        )


def restricted_datasets(conn: Connection) -> frozenset[str]:
    """The ids of every restricted dataset (read by every server process, every second)."""
    return frozenset(conn.execute(select(jeux_restreints.c.dataset_id)).scalars())


def grant_access(
    conn: Connection,
    principal: Principal,
    dataset_id: str,
    organisation_id: str,
    *,
    role: str | None = None,
    row_filter: str | None = None,
    hidden: tuple[str, ...] = (),
) -> DatasetGrant:
    """A new grant on ``dataset_id`` to ``organisation_id`` (``role``: only its members with
    that role). ``row_filter`` is checked as ODSQL here; its fields, at the first query."""
    owning = _owned(conn, principal, Action.ACCES_GERER, dataset_id)
    find_organisation(conn, organisation_id)
    wanted_role = _role(role)
    row_filter = (row_filter or "").strip() or None
    if row_filter is not None:
        try:
            parser.parse_where(row_filter)
        except QueryError as exc:
            raise ControlPlaneError(f"Filtre de lignes invalide : {exc}") from None
    grant_id = str(uuid.uuid4())
    conn.execute(
        acces.insert().values(
            id=grant_id,
            dataset_id=dataset_id,
            organisation_id=organisation_id,
            role=wanted_role.value if wanted_role else None,
            filtre=row_filter,
            champs_masques=" ".join(hidden),
            accorde_par=principal.account_id,
            accorde_le=_now(),
        )
    )
    facts = {"organisation": organisation_id, "role": role, "champs_masques": len(hidden)}
    record(conn, principal, "acces.accorder", owning, grant_id, facts)
    return _grant(conn.execute(select(acces).where(acces.c.id == grant_id)).one())


def withdraw_access(conn: Connection, principal: Principal, grant_id: str) -> None:
    row = conn.execute(
        select(acces).where(acces.c.id == grant_id, acces.c.retire_le.is_(None))
    ).first()
    if row is None:
        raise ControlPlaneError(f"Aucun accès actif « {grant_id} ».")
    owning = _owned(conn, principal, Action.ACCES_GERER, row._mapping["dataset_id"])
    conn.execute(update(acces).where(acces.c.id == grant_id).values(retire_le=_now()))
    record(conn, principal, "acces.retirer", owning, grant_id)


def grants_on(conn: Connection, principal: Principal, dataset_id: str) -> list[DatasetGrant]:
    """The active grants on a dataset, for its owner's administrators."""
    _owned(conn, principal, Action.ACCES_GERER, dataset_id)
    query = select(acces).where(acces.c.dataset_id == dataset_id, acces.c.retire_le.is_(None))
    return [_grant(r) for r in conn.execute(query.order_by(acces.c.accorde_le))]


def grants_of(conn: Connection, principal: Principal) -> list[DatasetGrant]:
    """The active grants that apply to ``principal``: those of its organisations (of an API
    key: its organisation, and only grants to every member), with its roles there."""
    if principal.anonymous:
        return []
    query = select(acces).where(acces.c.retire_le.is_(None))
    out = []
    for row in conn.execute(query.order_by(acces.c.accorde_le)):
        grant = _grant(row)
        if _applies(grant, principal):
            out.append(grant)
    return out


def _applies(grant: DatasetGrant, principal: Principal) -> bool:
    if principal.key_id is not None:
        return grant.role is None and principal.key_organisation == grant.organisation_id
    roles = principal.roles_in(grant.organisation_id)
    return bool(roles) and (grant.role is None or grant.role in roles)


def _role(role: str | None) -> Role | None:
    if role is None or not role.strip():
        return None
    try:
        return Role(role.strip())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ControlPlaneError(f"Rôle « {role} » inconnu ; rôles : {known}.") from None


def _grant(row: object) -> DatasetGrant:
    m = row._mapping  # type: ignore[attr-defined]
    return DatasetGrant(
        id=m["id"],
        dataset_id=m["dataset_id"],
        organisation_id=m["organisation_id"],
        role=Role(m["role"]) if m["role"] else None,
        row_filter=m["filtre"],
        hidden=hidden_fields(m["champs_masques"] or ""),
        granted_at=as_utc(m["accorde_le"]),
    )


def _now() -> datetime:
    return datetime.now(UTC)
