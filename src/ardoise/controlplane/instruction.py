"""The instruction of habilitations (issue #16): each move of
:data:`~ardoise.controlplane.habilitations.TRANSITIONS` with what comes with it.

One call = the control-plane transaction (state, thread message, journal); inside it, for
a grant, suspension, lift, revocation or expiry, the registry's side (tokens revoked,
tamper-evident chain) so a failing registry undoes the move; then, after the commit, the
emails (:mod:`~ardoise.controlplane.habilitation_mails`) in a thread. Revocation of the
tokens commits in the registry before the state does: if the control plane then fails,
the tokens are dead and the state says validée (the safe side), and a retry finishes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from ardoise.controlplane import habilitation_tokens as hab_tokens
from ardoise.controlplane.errors import ControlPlaneError
from ardoise.controlplane.habilitation_mails import mails_for
from ardoise.controlplane.habilitations import (
    TRANSITIONS,
    Event,
    Habilitation,
    HabilitationState,
    load,
    move,
)
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.notices import send_later
from ardoise.controlplane.organisations import MINISTRY
from ardoise.controlplane.permissions import Principal, authorize
from ardoise.controlplane.schema import habilitations, organisations
from ardoise.urls import Urls

# the events that end the tokens, and those chained in the audit journal
ENDING = frozenset({Event.SUSPENDRE, Event.REVOQUER, Event.EXPIRER})
CHAINED = ENDING | {Event.VALIDER, Event.LEVER}
MAX_DURATION = timedelta(days=3 * 366)


@dataclass
class Instruction:
    """The moves, bound to the control plane, the registry and the mailer."""

    engine: Engine
    registry: Callable[[], Engine]  # hab_tokens.Registry.get (opened at the first use)
    mailer: Mailer | None = None
    sent: list[threading.Thread] | None = None  # the mail threads (tests join them)

    def _urls(self) -> Urls:
        return Urls.of(self.mailer.public_url if self.mailer else "")

    def _mail(self, h: Habilitation, event: Event, first: bool, message: str) -> None:
        with self.engine.connect() as conn:
            name = conn.execute(
                select(organisations.c.nom).where(organisations.c.id == h.organisation_id)
            ).scalar_one()
        thread = send_later(self.mailer, mails_for(h, event, name, self._urls(), first, message))
        if thread is not None and self.sent is not None:
            self.sent.append(thread)

    def apply(
        self,
        principal: Principal,
        habilitation_id: str,
        event: Event,
        message: str = "",
        values: dict[str, object] | None = None,
        now: datetime | None = None,
    ) -> Habilitation:
        """``event`` on the habilitation, whole (see the module's docstring)."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            first = load(conn, habilitation_id).submitted_at is None
            moved = move(conn, principal, habilitation_id, event, now=now, message=message,
                         values=values)  # fmt: skip
            if event in ENDING:
                hab_tokens.end_tokens(self.registry(), habilitation_id, event.value, now)
            elif event in CHAINED:
                with self.registry().begin() as reg:
                    hab_tokens.chain(reg, habilitation_id, event.value, now)
        self._mail(moved, event, first, message)
        return moved

    def submit(self, principal: Principal, habilitation_id: str, message: str = "") -> Habilitation:
        return self.apply(principal, habilitation_id, Event.SOUMETTRE, message)

    def ask_changes(self, principal: Principal, habilitation_id: str, message: str) -> Habilitation:
        if not message.strip():
            raise ControlPlaneError("Dites au partenaire ce qu'il doit modifier (message).")
        return self.apply(principal, habilitation_id, Event.DEMANDER_MODIFICATIONS, message)

    def grant(
        self,
        principal: Principal,
        habilitation_id: str,
        scopes: Sequence[str],
        expires: datetime,
        message: str = "",
        now: datetime | None = None,
    ) -> Habilitation:
        """Validate with ``scopes`` (some or all of those asked) until ``expires``."""
        now = now or datetime.now(UTC)
        authorize(principal, TRANSITIONS[Event.VALIDER].action, MINISTRY)  # before the checks
        with self.engine.connect() as conn:
            asked = load(conn, habilitation_id).request.scopes
        chosen = [s for s in asked if s in set(scopes)]
        beyond = sorted(set(scopes) - set(asked))
        if beyond:
            raise ControlPlaneError(
                f"Scope(s) non demandé(s) : {', '.join(beyond)} (une habilitation accorde "
                "au plus ce qui a été demandé)."
            )
        if not chosen:
            raise ControlPlaneError("Accordez au moins un scope, ou refusez la demande.")
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if not now < expires <= now + MAX_DURATION:
            raise ControlPlaneError("L'échéance doit être dans le futur, à trois ans au plus.")
        values = {"scopes_accordes": " ".join(chosen), "expire_le": expires, "validee_le": now}
        return self.apply(principal, habilitation_id, Event.VALIDER, message, values, now)

    def refuse(self, principal: Principal, habilitation_id: str, message: str) -> Habilitation:
        if not message.strip():
            raise ControlPlaneError("Motivez le refus (message).")
        return self.apply(principal, habilitation_id, Event.REFUSER, message)

    def expire_due(self, principal: Principal, now: datetime) -> list[str]:
        """Move every validated or suspended habilitation past its expiry to expirée."""
        with self.engine.connect() as conn:
            due = conn.execute(
                select(habilitations.c.id).where(
                    habilitations.c.etat.in_(
                        [HabilitationState.VALIDEE.value, HabilitationState.SUSPENDUE.value]
                    ),
                    habilitations.c.expire_le <= now,
                )
            ).scalars()
            ids = [str(i) for i in due]
        for habilitation_id in ids:
            self.apply(principal, habilitation_id, Event.EXPIRER, now=now)
        return ids
