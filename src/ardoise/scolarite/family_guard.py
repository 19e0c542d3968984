"""The families' view's throttle and its entries in the tamper-evident audit chain.

Two counters, kept in ``scolarite_echecs`` like the tokens' unsuccessful searches, so they
hold across server processes; their keys carry no address (no IP) and no name, only a
salted digest of who acts:

* per person (the provider's issuer and subject): pages asked for a child the person does
  not represent — someone trying child references;
* per person too, sign-ins: a person signing in over and over.

Each counter is judged by :func:`ardoise.scolarite.throttle.judge` over its one-minute
window: past the threshold a request is flagged, past twice the threshold it is refused
(429) until the window empties. Flags and refusals are journaled (``genre = "famille"``),
as is each consultation, with the digest of the person only: which child's page was read
is not kept (nothing is stored about the pupil, issue #16).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, insert, select

from ardoise.scolarite import audit, throttle
from ardoise.scolarite.schema import echecs

ENDPOINT = "/mes-enfants"
KINDS = {"reference": "famille:", "connexion": "connexion:"}


@dataclass(frozen=True)
class FamilyGuard:
    engine: Engine
    salt: str
    threshold: int

    def person(self, issuer: str, subject: str) -> str:
        """The salted digest that stands for a person in the journal and the counters."""
        return hashlib.sha256(f"{self.salt}:personne:{issuer}:{subject}".encode()).hexdigest()

    def _key(self, kind: str, person: str) -> str:
        prefix = KINDS[kind]
        return prefix + person[: 36 - len(prefix)]

    def verdict(self, kind: str, person: str, now: float) -> throttle.EnumerationVerdict:
        """How suspicious ``person`` is right now for ``kind`` (nothing counted)."""
        key = self._key(kind, person)
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(echecs.c.instant)).where(
                    echecs.c.jeton_id == key, echecs.c.instant > now - throttle.WINDOW
                )
            ).one()
        return throttle.judge(int(count), oldest, now, self.threshold)

    def count(self, kind: str, person: str, now: float) -> None:
        """Count one more event of ``kind`` for ``person`` (and forget the expired ones)."""
        key = self._key(kind, person)
        with self.engine.begin() as conn:
            conn.execute(
                delete(echecs).where(
                    echecs.c.jeton_id == key, echecs.c.instant <= now - throttle.WINDOW
                )
            )
            conn.execute(insert(echecs).values(jeton_id=key, instant=now))

    def journal(
        self,
        person: str,
        outcome: str,
        *,
        status: int = 200,
        flag: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Append a ``famille`` entry to the audit chain (committed before returning)."""
        entry = audit.AuditEntry(
            request_id=str(uuid.uuid4()),
            endpoint=ENDPOINT,
            statut=status,
            resultat=outcome,
            empreinte_parametres=person,
            drapeau=flag,
            genre="famille",
        )
        with self.engine.begin() as conn:
            audit.append(conn, [entry], now or datetime.now(UTC))
