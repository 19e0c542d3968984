"""API keys of an organisation, for automation.

A key is ``ard_<43 url-safe characters>`` (256 random bits), shown once at creation; only
its SHA-256 is stored. It acts for its organisation only, within its scopes; it can be
revoked, and its last use is recorded (at most once a minute, so reading is not a write
per request).

>>> well_formed("ard_" + "A" * 43), well_formed("sco_" + "A" * 43)
(True, False)
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, update

from ardoise.controlplane.errors import ControlPlaneError, KeyNotFound, Unauthenticated
from ardoise.controlplane.journal import record
from ardoise.controlplane.organisations import find_organisation
from ardoise.controlplane.permissions import Action, Principal, Scope, authorize
from ardoise.controlplane.schema import cles
from ardoise.stored import as_utc, digest

PREFIX = "ard_"
_FORMAT = re.compile(r"^ard_[A-Za-z0-9_-]{43}$")
_TOUCH = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKey:
    id: str
    organisation_id: str
    label: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def well_formed(secret: str) -> bool:
    return bool(_FORMAT.match(secret))


def _key(row: object) -> ApiKey:
    m = row._mapping  # type: ignore[attr-defined]
    return ApiKey(
        id=m["id"],
        organisation_id=m["organisation_id"],
        label=m["intitule"],
        scopes=frozenset(Scope(s) for s in m["scopes"].split()),
        created_at=as_utc(m["cree_le"]),
        revoked_at=as_utc(m["revoquee_le"]),
        last_used_at=as_utc(m["derniere_utilisation"]),
    )


def parse_scopes(scopes: list[str]) -> frozenset[Scope]:
    out: set[Scope] = set()
    for name in scopes:
        try:
            out.add(Scope(name.strip()))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise ControlPlaneError(f"Portée « {name} » inconnue ; portées : {known}.") from None
    if not out:
        raise ControlPlaneError("Une clé d'API a au moins une portée.")
    return frozenset(out)


def create_key(
    conn: Connection, principal: Principal, organisation_id: str, label: str, scopes: list[str]
) -> tuple[ApiKey, str]:
    """A new key and its secret (returned once, never stored)."""
    wanted = parse_scopes(scopes)
    find_organisation(conn, organisation_id)
    authorize(principal, Action.CLE_GERER, organisation_id)
    secret = PREFIX + secrets.token_urlsafe(32)
    key_id = str(uuid.uuid4())
    conn.execute(
        cles.insert().values(
            id=key_id,
            organisation_id=organisation_id,
            empreinte=digest(secret),
            intitule=label.strip() or "clé d'API",
            scopes=" ".join(sorted(s.value for s in wanted)),
            cree_le=datetime.now(UTC),
            cree_par=principal.account_id,
        )
    )
    record(
        conn, principal, "cle.creer", organisation_id, key_id, {"scopes": " ".join(sorted(wanted))}
    )
    row = conn.execute(select(cles).where(cles.c.id == key_id)).one()
    return _key(row), secret


def list_keys(conn: Connection, principal: Principal, organisation_id: str) -> list[ApiKey]:
    find_organisation(conn, organisation_id)
    authorize(principal, Action.CLE_GERER, organisation_id)
    query = select(cles).where(cles.c.organisation_id == organisation_id).order_by(cles.c.cree_le)
    return [_key(r) for r in conn.execute(query)]


def revoke_key(conn: Connection, principal: Principal, organisation_id: str, key_id: str) -> None:
    find_organisation(conn, organisation_id)
    authorize(principal, Action.CLE_GERER, organisation_id)
    done = conn.execute(
        update(cles)
        .where(
            cles.c.id == key_id,
            cles.c.organisation_id == organisation_id,
            cles.c.revoquee_le.is_(None),
        )
        .values(revoquee_le=datetime.now(UTC))
    )
    if not done.rowcount:
        raise KeyNotFound(f"Aucune clé active « {key_id} » dans « {organisation_id} ».")
    record(conn, principal, "cle.revoquer", organisation_id, key_id)


def principal_of_key(conn: Connection, secret: str, now: datetime | None = None) -> Principal:
    """The principal an API key acts as; :class:`Unauthenticated` for a malformed,
    unknown or revoked key (one message: a caller learns nothing about other keys)."""
    refused = Unauthenticated("Clé d'API inconnue ou révoquée.")
    if not well_formed(secret):
        raise refused
    row = conn.execute(select(cles).where(cles.c.empreinte == digest(secret))).first()
    if row is None:
        raise refused
    key = _key(row)
    if key.revoked_at is not None:
        raise refused
    now = now or datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at >= _TOUCH:
        conn.execute(update(cles).where(cles.c.id == key.id).values(derniere_utilisation=now))
    return Principal(key_id=key.id, key_organisation=key.organisation_id, scopes=key.scopes)
