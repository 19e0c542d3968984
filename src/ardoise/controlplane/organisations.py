"""Organisations (producers and users of the platform) and their members.

An organisation has a slug id, a name, a SIRET (checked), a type and, for local
authorities and académies, a territory (``REG:84``, ``ACA:10``, ``DEP:069``,
``COM:69123``, or ``FR``). A member holds one or more :class:`Role` in it.

>>> check_territory("REG:84"), check_territory(None)
('REG:84', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, delete, select

from ardoise.controlplane.errors import (
    AccountNotFound,
    Conflict,
    ControlPlaneError,
    OrganisationNotFound,
)
from ardoise.controlplane.journal import record
from ardoise.controlplane.permissions import Action, Principal, Role, authorize
from ardoise.controlplane.schema import comptes, membres, organisations
from ardoise.siret import is_siret

MINISTRY = "ministere"  # the id of the organisation that owns the mirror's datasets
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_TERRITORY = re.compile(r"^(FR|REG:\d{2}|ACA:[0-9A-Z]{2}|DEP:[0-9AB]{2,3}|COM:[0-9AB]{5})$")


class OrganisationType(StrEnum):
    MINISTERE = "ministere"
    DIRECTION = "direction"
    OPERATEUR = "operateur"
    ACADEMIE = "academie"
    REGION = "region"
    DEPARTEMENT = "departement"
    COMMUNE = "commune"


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    siret: str
    type: OrganisationType
    territory: str | None


@dataclass(frozen=True)
class Member:
    organisation_id: str
    account_id: str
    email: str
    name: str
    role: Role


def check_territory(territory: str | None) -> str | None:
    if territory is None or territory == "":
        return None
    if not _TERRITORY.match(territory):
        raise ControlPlaneError(
            f"Territoire « {territory} » invalide : attendu FR, REG:84, ACA:10, DEP:069 "
            "ou COM:69123."
        )
    return territory


def _organisation(m: object) -> Organisation:
    row = m._mapping  # type: ignore[attr-defined]
    return Organisation(
        row["id"], row["nom"], row["siret"], OrganisationType(row["type"]), row["territoire"]
    )


def create_organisation(
    conn: Connection,
    principal: Principal,
    *,
    id: str,
    name: str,
    siret: str,
    type: str,
    territory: str | None = None,
) -> Organisation:
    authorize(principal, Action.ORGANISATION_CREER, None)
    if not _ID.match(id):
        raise ControlPlaneError(
            f"Identifiant « {id} » invalide : 2 à 40 caractères, minuscules, chiffres et tirets."
        )
    if not is_siret(siret):
        raise ControlPlaneError(f"SIRET « {siret} » invalide (14 chiffres, clé de Luhn).")
    try:
        kind = OrganisationType(type)
    except ValueError:
        known = ", ".join(t.value for t in OrganisationType)
        raise ControlPlaneError(f"Type « {type} » inconnu ; types : {known}.") from None
    if not name.strip():
        raise ControlPlaneError("Le nom de l'organisation est vide.")
    org = Organisation(id, name.strip(), siret, kind, check_territory(territory))
    if conn.execute(
        select(organisations.c.id).where(
            (organisations.c.id == id) | (organisations.c.siret == siret)
        )
    ).first():
        raise Conflict(f"Une organisation a déjà l'identifiant « {id} » ou le SIRET {siret}.")
    conn.execute(
        organisations.insert().values(
            id=org.id,
            nom=org.name,
            siret=org.siret,
            type=org.type.value,
            territoire=org.territory,
            cree_le=datetime.now(UTC),
        )
    )
    record(conn, principal, Action.ORGANISATION_CREER, id, id, {"type": kind.value})
    return org


def find_organisation(conn: Connection, organisation_id: str) -> Organisation:
    """The organisation (no permission check: callers authorise their own action)."""
    row = conn.execute(select(organisations).where(organisations.c.id == organisation_id)).first()
    if row is None:
        raise OrganisationNotFound(f"Aucune organisation n'a l'identifiant « {organisation_id} ».")
    return _organisation(row)


def get_organisation(conn: Connection, principal: Principal, organisation_id: str) -> Organisation:
    org = find_organisation(conn, organisation_id)
    authorize(principal, Action.ORGANISATION_LIRE, organisation_id)
    return org


def list_organisations(conn: Connection, principal: Principal) -> list[Organisation]:
    """The organisations ``principal`` may see: all for the national administrator and
    the operator, its own for a member or a key."""
    rows = [_organisation(r) for r in conn.execute(select(organisations).order_by("id"))]
    if principal.national or principal.cli:
        return rows
    mine = {org for org, _ in principal.roles} | {principal.key_organisation}
    return [o for o in rows if o.id in mine]


def members(conn: Connection, principal: Principal, organisation_id: str) -> list[Member]:
    find_organisation(conn, organisation_id)
    authorize(principal, Action.ORGANISATION_LIRE, organisation_id)
    query = (
        select(membres.c.compte_id, membres.c.role, comptes.c.email, comptes.c.nom)
        .join(comptes, comptes.c.id == membres.c.compte_id)
        .where(membres.c.organisation_id == organisation_id)
        .order_by(comptes.c.email, membres.c.role)
    )
    return [
        Member(organisation_id, r.compte_id, r.email, r.nom, Role(r.role))
        for r in conn.execute(query)
    ]


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ControlPlaneError(f"Rôle « {role} » inconnu ; rôles : {known}.") from None


def add_member(
    conn: Connection, principal: Principal, organisation_id: str, account_id: str, role: str
) -> None:
    kind = _role(role)
    find_organisation(conn, organisation_id)
    authorize(principal, Action.MEMBRE_GERER, organisation_id)
    if conn.execute(select(comptes.c.id).where(comptes.c.id == account_id)).first() is None:
        raise AccountNotFound(f"Aucun compte « {account_id} ».")
    held = select(membres.c.role).where(
        membres.c.organisation_id == organisation_id,
        membres.c.compte_id == account_id,
        membres.c.role == kind.value,
    )
    if conn.execute(held).first() is not None:
        raise Conflict(f"Ce compte a déjà le rôle {kind.value} dans « {organisation_id} ».")
    conn.execute(
        membres.insert().values(
            organisation_id=organisation_id,
            compte_id=account_id,
            role=kind.value,
            ajoute_le=datetime.now(UTC),
        )
    )
    record(conn, principal, "membre.ajouter", organisation_id, account_id, {"role": kind.value})


def remove_member(
    conn: Connection, principal: Principal, organisation_id: str, account_id: str, role: str
) -> None:
    kind = _role(role)
    find_organisation(conn, organisation_id)
    authorize(principal, Action.MEMBRE_GERER, organisation_id)
    done = conn.execute(
        delete(membres).where(
            membres.c.organisation_id == organisation_id,
            membres.c.compte_id == account_id,
            membres.c.role == kind.value,
        )
    )
    if not done.rowcount:
        raise ControlPlaneError(
            f"Ce compte n'a pas le rôle {kind.value} dans « {organisation_id} »."
        )
    record(conn, principal, "membre.retirer", organisation_id, account_id, {"role": kind.value})
