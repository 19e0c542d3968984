"""Tokens of the enrolment API issued from a habilitation, and the habilitation's entries
in the API's tamper-evident chain (issue #16).

* A token is issued only for a **validated** habilitation, by an administrator of its
  organisation (the technical contact's page shows the secret once): scopes = those
  granted, expiry = the habilitation's, ``habilitation_id`` recorded.
* **Rotation**: a new token is issued and every older live token of the habilitation is
  brought to expire :data:`ROTATION_OVERLAP` later (the partner deploys the new secret
  meanwhile); expiry is checked by every API call against the row, so it holds on every
  process.
* **Throttle**: at most :data:`ISSUANCE_LIMIT` issuances per habilitation per hour, counted
  from the control-plane journal (shared by every process); a refused attempt is journaled
  (``refus = limite``) in its own transaction.
* Suspension, revocation and expiry revoke the habilitation's live tokens
  (:func:`ardoise.scolarite.tokens.end_of_habilitation`): the next API call is refused, on
  every process.

Grants, suspensions, lifts, revocations, expiries and issuances also enter the chain of
:mod:`ardoise.scolarite.audit` (``genre = "habilitation"``, ``endpoint =
"habilitations/<id>"``, ``resultat`` = the event, ``jeton_id`` for an issuance).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, func, select

from ardoise.controlplane.database import open_control_plane
from ardoise.controlplane.errors import Conflict, ControlPlaneError, Throttled
from ardoise.controlplane.habilitations import HabilitationState, get, load
from ardoise.controlplane.journal import record
from ardoise.controlplane.organisations import find_organisation
from ardoise.controlplane.permissions import OPERATOR, Action, Principal, authorize
from ardoise.controlplane.schema import journal
from ardoise.scolarite import audit, tokens
from ardoise.scolarite.database import database_url, make_engine, migrate
from ardoise.settings import Settings

ROTATION_OVERLAP = timedelta(minutes=15)
ISSUANCE_LIMIT = 5  # issuances per habilitation per hour
GENRE = "habilitation"


class Registry:
    """The enrolment registry's engine (tokens, audit chain), opened and migrated at the
    first use; tests pass an engine."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._lock = threading.Lock()

    def get(self) -> Engine:
        with self._lock:
            if self._engine is None:
                engine = make_engine(database_url(self.settings), pool_size=2)
                migrate(engine)
                self._engine = engine
            return self._engine


def chain(
    conn: Connection, habilitation_id: str, event: str, now: datetime, token_id: str | None = None
) -> None:
    """Append the habilitation's ``event`` to the tamper-evident chain, in the registry
    transaction ``conn``."""
    salt = audit.salt(conn.engine)
    entry = audit.AuditEntry(
        request_id=f"hab-{uuid.uuid4().hex}",
        endpoint=f"habilitations/{habilitation_id}",
        statut=200,
        resultat=event[:40],
        empreinte_parametres=audit.params_hash(salt, [("habilitation", habilitation_id)]),
        jeton_id=token_id,
        genre=GENRE,
    )
    audit.append(conn, [entry], now)


def end_tokens(registry: Engine, habilitation_id: str, event: str, now: datetime) -> list[str]:
    """Revoke the habilitation's live tokens and chain ``event``; the ids revoked."""
    revoked = tokens.end_of_habilitation(registry, habilitation_id, now)
    with registry.begin() as conn:
        chain(conn, habilitation_id, event, now)
    return revoked


def _recent_issuances(conn: Connection, habilitation_id: str, now: datetime) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(journal)
            .where(
                journal.c.action == Action.JETON_EMETTRE.value,
                journal.c.objet == habilitation_id,
                journal.c.horodatage > now - timedelta(hours=1),
            )
        ).scalar_one()
    )


def issue(
    engine: Engine,
    registry: Engine,
    principal: Principal,
    habilitation_id: str,
    *,
    rate_limit: int,
    now: datetime | None = None,
    scopes: Sequence[str] | None = None,
    expires: datetime | None = None,
) -> tuple[tokens.Token, str]:
    """A new token of the validated habilitation (its secret, shown once); older live
    tokens of it expire :data:`ROTATION_OVERLAP` later. ``scopes`` and ``expires`` (the
    operator's CLI) narrow the grant, never widen it."""
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        found = get(conn, principal, habilitation_id)
        authorize(principal, Action.JETON_EMETTRE, found.organisation_id)
        recent = _recent_issuances(conn, habilitation_id, now)
    if recent >= ISSUANCE_LIMIT:
        with engine.begin() as conn:
            record(conn, principal, Action.JETON_EMETTRE, found.organisation_id,
                   habilitation_id, {"refus": "limite", "emis_derniere_heure": recent})  # fmt: skip
        raise Throttled(
            f"Trop d'émissions de jeton pour cette habilitation ({ISSUANCE_LIMIT} par heure "
            "au plus) : réessayez plus tard."
        )
    if found.state is not HabilitationState.VALIDEE or found.expires_at is None:
        raise Conflict("Un jeton ne s'émet que pour une habilitation validée.")
    if found.expires_at <= now:
        raise Conflict("L'habilitation est arrivée à échéance : plus aucun jeton ne s'émet.")
    chosen, until = _narrowed(found.granted, found.expires_at, scopes, expires)
    with engine.connect() as conn:
        org = find_organisation(conn, found.organisation_id)
    live = tokens.TokenState.VALID
    older = [t for t in tokens.list_all(registry, habilitation_id) if t.state(now) is live]
    token, secret = tokens.create(
        registry,
        siret=org.siret,
        intitule=f"{org.name} — {found.request.finalite}"[:200],
        scopes=chosen,
        expire_le=until,
        limite_par_seconde=rate_limit,
        now=now,
        habilitation_id=habilitation_id,
    )
    for old in older:
        tokens.shorten(registry, old.id, now + ROTATION_OVERLAP)
    with registry.begin() as conn:
        chain(conn, habilitation_id, "jeton_emis", now, token.id)
    with engine.begin() as conn:
        record(conn, principal, Action.JETON_EMETTRE, found.organisation_id, habilitation_id,
               {"jeton": token.id, "rotation": len(older)})  # fmt: skip
    return token, secret


def _narrowed(
    granted: tuple[str, ...],
    until: datetime,
    scopes: Sequence[str] | None,
    expires: datetime | None,
) -> tuple[list[str], datetime]:
    chosen = list(granted) if not scopes else [s for s in dict.fromkeys(scopes) if s]
    beyond = [s for s in chosen if s not in granted]
    if beyond:
        raise ControlPlaneError(
            f"Scope(s) non accordé(s) par l'habilitation : {', '.join(beyond)} "
            f"(accordés : {', '.join(granted)})."
        )
    if expires is not None and expires > until:
        raise ControlPlaneError(
            f"Le jeton ne peut expirer après l'habilitation (échéance le {until:%Y-%m-%d})."
        )
    return chosen, expires or until


def tokens_of(
    engine: Engine, registry: Engine, principal: Principal, habilitation_id: str
) -> list[tokens.Token]:
    """The habilitation's tokens (never their secret), for its readers and instructors."""
    with engine.connect() as conn:
        get(conn, principal, habilitation_id)
    return tokens.list_all(registry, habilitation_id)


def granted_scopes(
    engine: Engine, habilitation_id: str
) -> tuple[HabilitationState, tuple[str, ...]]:
    """The habilitation's state and granted scopes (the operator's CLI checks a token
    against them)."""
    with engine.connect() as conn:
        found = load(conn, habilitation_id)
    return found.state, found.granted


def operator_issuer(settings: Settings) -> Callable[..., tuple[tokens.Token, str]]:
    """What ``ardoise scolarite jeton creer --habilitation ID`` calls (wired by
    ``ardoise.cli``): :func:`issue` as the operator, on the configured databases."""

    def issuer(
        habilitation_id: str, scopes: Sequence[str], expires: datetime | None, rate_limit: int
    ) -> tuple[tokens.Token, str]:
        engine = open_control_plane(settings)
        try:
            return issue(engine, Registry(settings).get(), OPERATOR, habilitation_id,
                         rate_limit=rate_limit, scopes=scopes, expires=expires)  # fmt: skip
        finally:
            engine.dispose()

    return issuer
