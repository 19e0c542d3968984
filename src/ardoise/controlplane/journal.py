"""The journal of the control plane: every action, who did it, when, from which key or
session. It carries ids and small facts (a role, a scope list, a row count), never the
content of a file. The organisation's administrators (and the national administrator)
read their organisation's part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from ardoise.controlplane.permissions import Action, Principal, authorize
from ardoise.controlplane.schema import journal
from ardoise.stored import as_utc

Fact = str | int | bool | None


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    organisation_id: str | None
    account_id: str | None
    key_id: str | None
    session_id: str | None
    origin: str
    action: str
    subject: str | None
    details: dict[str, Fact]


def record(
    conn: Connection,
    principal: Principal,
    action: Action | str,
    organisation_id: str | None,
    subject: str | None = None,
    details: dict[str, Fact] | None = None,
) -> None:
    """Append one entry, in the caller's transaction (the action and its entry commit
    together, or neither)."""
    conn.execute(
        journal.insert().values(
            horodatage=datetime.now(UTC),
            organisation_id=organisation_id,
            compte_id=principal.account_id,
            cle_id=principal.key_id,
            session_id=principal.session_id,
            origine=principal.origin,
            action=str(action),
            objet=subject,
            details=json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None,
        )
    )


def _entry(m: Any) -> Entry:
    return Entry(
        seq=int(m["seq"]),
        at=as_utc(m["horodatage"]),
        organisation_id=m["organisation_id"],
        account_id=m["compte_id"],
        key_id=m["cle_id"],
        session_id=m["session_id"],
        origin=m["origine"],
        action=m["action"],
        subject=m["objet"],
        details=json.loads(m["details"]) if m["details"] else {},
    )


def entries(
    conn: Connection, principal: Principal, organisation_id: str | None, limit: int = 200
) -> list[Entry]:
    """The latest entries of ``organisation_id`` (None: the whole platform, national
    administrator only), newest first."""
    authorize(principal, Action.JOURNAL_LIRE, organisation_id)
    query = select(journal).order_by(journal.c.seq.desc()).limit(limit)
    if organisation_id is not None:
        query = query.where(journal.c.organisation_id == organisation_id)
    return [_entry(row._mapping) for row in conn.execute(query)]
