"""People: local accounts (argon2id password, for development: created from the CLI) and
OpenID Connect identities (issuer + subject, created at first sign-in), and the
:class:`Principal` a signed-in account acts as.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, select, update

from ardoise.controlplane.errors import (
    AccountDisabled,
    AccountNotFound,
    Conflict,
    ControlPlaneError,
    Forbidden,
)
from ardoise.controlplane.journal import record
from ardoise.controlplane.permissions import Action, Principal, Role, authorize
from ardoise.controlplane.schema import comptes, membres

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
MIN_PASSWORD = 12
DISABLED = (
    "Ce compte a été désactivé : il ne peut plus se connecter et ses sessions sont "
    "fermées. Adressez-vous à l'administrateur de la plateforme."
)


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    name: str
    national: bool
    local: bool  # has a password (development account)
    active: bool = True  # False once deactivated: no sign-in, every session refused
    epoch: int = 0  # the session epoch (cp_comptes.session_epoque)


def _account(row: object) -> Account:
    m = row._mapping  # type: ignore[attr-defined]
    return Account(
        m["id"], m["email"], m["nom"], bool(m["administrateur_national"]),
        bool(m["mot_de_passe"]), m["desactive_le"] is None, int(m["session_epoque"] or 0),
    )  # fmt: skip


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise ControlPlaneError(f"Adresse électronique « {email} » invalide.")
    return email


def _insert(conn: Connection, principal: Principal, **values: object) -> Account:
    if conn.execute(select(comptes.c.id).where(comptes.c.email == values["email"])).first():
        raise Conflict(f"Un compte existe déjà pour {values['email']}.")
    account_id = str(uuid.uuid4())
    conn.execute(comptes.insert().values(id=account_id, cree_le=datetime.now(UTC), **values))
    record(conn, principal, "compte.creer", None, account_id)
    return find_account(conn, account_id)


def create_local_account(
    conn: Connection,
    principal: Principal,
    *,
    email: str,
    name: str,
    password: str,
    national: bool = False,
) -> Account:
    """A development account with an argon2id password (operator only)."""
    if not principal.cli:
        raise Forbidden("Les comptes locaux se créent en ligne de commande (développement).")
    if len(password) < MIN_PASSWORD:
        raise ControlPlaneError(f"Mot de passe trop court : {MIN_PASSWORD} caractères au moins.")
    return _insert(
        conn,
        principal,
        email=_check_email(email),
        nom=name.strip() or email,
        mot_de_passe=_HASHER.hash(password),
        administrateur_national=national,
    )


def oidc_account(conn: Connection, *, issuer: str, subject: str, email: str, name: str) -> Account:
    """The account of an OpenID Connect identity, created at its first sign-in."""
    row = conn.execute(
        select(comptes).where(comptes.c.oidc_emetteur == issuer, comptes.c.oidc_sujet == subject)
    ).first()
    if row is not None:
        found = _account(row)
        if not found.active:
            raise AccountDisabled(DISABLED)
        return found
    return _insert(
        conn,
        Principal(),
        email=_check_email(email),
        nom=name.strip() or email,
        oidc_emetteur=issuer,
        oidc_sujet=subject,
    )


def find_account(conn: Connection, account_id_or_email: str) -> Account:
    key = account_id_or_email.strip()
    where = comptes.c.email == key.lower() if "@" in key else comptes.c.id == key
    row = conn.execute(select(comptes).where(where)).first()
    if row is None:
        raise AccountNotFound(f"Aucun compte « {key} ».")
    return _account(row)


def list_accounts(conn: Connection) -> list[Account]:
    return [_account(r) for r in conn.execute(select(comptes).order_by(comptes.c.email))]


def verify_password(conn: Connection, email: str, password: str) -> Account | None:
    """The account if ``password`` is its password, else None (same answer for an unknown
    email, a wrong password and an OIDC-only account)."""
    row = conn.execute(select(comptes).where(comptes.c.email == email.strip().lower())).first()
    stored = row._mapping["mot_de_passe"] if row is not None else None
    if row is None or not stored or row._mapping["desactive_le"] is not None:
        _HASHER.hash(password)  # the same cost whether or not the account exists
        return None
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(stored):
        conn.execute(
            update(comptes)
            .where(comptes.c.id == row._mapping["id"])
            .values(mot_de_passe=_HASHER.hash(password))
        )
    return _account(row)


def set_active(conn: Connection, principal: Principal, account_id: str, active: bool) -> Account:
    """Deactivate (or reactivate) an account. Deactivation bumps its session epoch: every
    session opened before is refused from its next request, even after a reactivation."""
    authorize(principal, Action.COMPTE_GERER, None)
    found = find_account(conn, account_id)
    if found.active == active:
        return found
    values: dict[str, object] = {"desactive_le": None if active else datetime.now(UTC)}
    if not active:
        values["session_epoque"] = found.epoch + 1
    conn.execute(update(comptes).where(comptes.c.id == found.id).values(**values))
    action = "compte.reactiver" if active else "compte.desactiver"
    record(conn, principal, action, None, found.id)
    return find_account(conn, found.id)


def session_digest(session_id: str) -> str:
    """What the journal keeps of a session: a digest, never the cookie."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:32]


def principal_of(conn: Connection, account_id: str, session_id: str | None = None) -> Principal:
    """The principal a signed-in account acts as (its roles read now: a removed role
    takes effect on the next request)."""
    account = find_account(conn, account_id)
    roles = frozenset(
        (r.organisation_id, Role(r.role))
        for r in conn.execute(
            select(membres.c.organisation_id, membres.c.role).where(
                membres.c.compte_id == account_id
            )
        )
    )
    return Principal(
        account_id=account.id,
        session_id=session_digest(session_id) if session_id else None,
        national=account.national,
        roles=roles,
    )
