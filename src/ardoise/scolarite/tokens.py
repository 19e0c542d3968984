"""Bearer tokens of administrations, one per administration (SIRET) and purpose.

A token is ``sco_<43 url-safe characters>`` (256 random bits). Only its SHA-256 is stored:
a stolen database reveals no usable token. Tokens expire (18 months by default) and a
revocation takes effect on the next request (no cache).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Engine, select, update

from ardoise.scolarite import scopes as scope_names
from ardoise.scolarite.errors import TokenError as TokenError
from ardoise.scolarite.schema import jetons
from ardoise.scolarite.siret import is_siret
from ardoise.stored import as_utc, digest

PREFIX = "sco_"
_FORMAT = re.compile(r"^sco_[A-Za-z0-9_-]{43}$")


class TokenState(Enum):
    VALID = "valide"
    EXPIRED = "expire"
    REVOKED = "revoque"


@dataclass(frozen=True)
class Token:
    id: str
    siret: str
    intitule: str
    scopes: frozenset[str]
    cree_le: datetime
    expire_le: datetime
    revoque_le: datetime | None
    limite_par_seconde: int
    habilitation_id: str | None = None  # the habilitation it was issued from (issue #16)

    def state(self, now: datetime) -> TokenState:
        if self.revoque_le is not None:
            return TokenState.REVOKED
        if now >= self.expire_le:
            return TokenState.EXPIRED
        return TokenState.VALID


def well_formed(secret: str) -> bool:
    return bool(_FORMAT.match(secret))


def _token(row: object) -> Token:
    return from_mapping(row._mapping)  # type: ignore[attr-defined]


def from_mapping(m: Mapping[str, Any]) -> Token:
    """A token from its row's columns (by name)."""
    return Token(
        id=m["id"],
        siret=m["siret"],
        intitule=m["intitule"],
        scopes=frozenset(m["scopes"].split()),
        cree_le=as_utc(m["cree_le"]),
        expire_le=as_utc(m["expire_le"]),
        revoque_le=as_utc(m["revoque_le"]),
        limite_par_seconde=int(m["limite_par_seconde"]),
        habilitation_id=m.get("habilitation_id"),
    )


def create(
    engine: Engine,
    *,
    siret: str,
    intitule: str,
    scopes: list[str],
    expire_le: datetime,
    limite_par_seconde: int,
    now: datetime | None = None,
    habilitation_id: str | None = None,
) -> tuple[Token, str]:
    """Store a new token and return it with its secret (shown once, never stored)."""
    now = now or datetime.now(UTC)
    if not is_siret(siret):
        raise TokenError(f"SIRET invalide : {siret!r} (14 chiffres et clé de Luhn attendus).")
    scopes = [s for s in dict.fromkeys(scopes) if s]
    if not scopes:
        raise TokenError("Au moins un scope est nécessaire.")
    bad = scope_names.unknown(scopes)
    if bad:
        raise TokenError(
            f"Scope(s) inconnu(s) : {', '.join(bad)}. Scopes possibles : "
            f"{', '.join(scope_names.ALL)}."
        )
    if expire_le <= now:
        raise TokenError("La date d'expiration doit être dans le futur.")
    if limite_par_seconde < 1:
        raise TokenError("La limite de requêtes par seconde doit être au moins 1.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = Token(
        id=str(uuid.uuid4()),
        siret=siret,
        intitule=intitule.strip() or "sans intitulé",
        scopes=frozenset(scopes),
        cree_le=now,
        expire_le=expire_le,
        revoque_le=None,
        limite_par_seconde=limite_par_seconde,
        habilitation_id=habilitation_id,
    )
    with engine.begin() as conn:
        conn.execute(
            jetons.insert().values(
                id=token.id,
                empreinte=digest(secret),
                siret=siret,
                intitule=token.intitule,
                scopes=" ".join(sorted(scopes)),
                cree_le=now,
                expire_le=expire_le,
                revoque_le=None,
                limite_par_seconde=limite_par_seconde,
                habilitation_id=habilitation_id,
            )
        )
    return token, secret


def default_expiry(days: int, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) + timedelta(days=days)


def revoke(engine: Engine, token_id: str, now: datetime | None = None) -> Token:
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        done = conn.execute(
            update(jetons)
            .where(jetons.c.id == token_id, jetons.c.revoque_le.is_(None))
            .values(revoque_le=now)
        )
        row = conn.execute(select(jetons).where(jetons.c.id == token_id)).first()
    if row is None:
        raise TokenError(f"Aucun jeton n'a l'identifiant {token_id!r}.")
    if done.rowcount == 0:
        raise TokenError(f"Le jeton {token_id} était déjà révoqué.")
    return _token(row)


def list_all(engine: Engine, habilitation_id: str | None = None) -> list[Token]:
    """Every token, oldest first (``habilitation_id``: only those issued from it)."""
    query = select(jetons).order_by(jetons.c.cree_le)
    if habilitation_id is not None:
        query = query.where(jetons.c.habilitation_id == habilitation_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [_token(r) for r in rows]


def end_of_habilitation(engine: Engine, habilitation_id: str, now: datetime) -> list[str]:
    """Revoke every live token of ``habilitation_id`` (its suspension, revocation or
    expiry); the ids revoked. Each API call reads its token's row, so this holds on every
    server process at the next request."""
    live = (
        jetons.c.habilitation_id == habilitation_id,
        jetons.c.revoque_le.is_(None),
    )
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(select(jetons.c.id).where(*live))]
        if ids:
            conn.execute(update(jetons).where(jetons.c.id.in_(ids)).values(revoque_le=now))
    return ids


def shorten(engine: Engine, token_id: str, expire_le: datetime) -> None:
    """Bring ``token_id``'s expiry forward to ``expire_le`` (never later than it was): the
    overlap of a rotation."""
    with engine.begin() as conn:
        conn.execute(
            update(jetons)
            .where(jetons.c.id == token_id, jetons.c.expire_le > expire_le)
            .values(expire_le=expire_le)
        )
