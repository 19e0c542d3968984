"""Reminders before a habilitation's expiry (issue #16), for a daily timer
(``ardoise habilitations rappels``).

A validated habilitation whose expiry is 30 days away or less gets the J-30 reminder, 7
days or less the J-7 one, each **once**: the reminder is first claimed by a conditional
update (``rappel_30_le IS NULL``), so two timers running together never both send it; an
email the SMTP server refused releases the claim for the next run. A habilitation first
seen at J-5 gets the J-7 reminder only (J-30 is then marked as passed, never sent late).

>>> from datetime import timedelta
>>> due(timedelta(days=31)), due(timedelta(days=30)), due(timedelta(days=6))
(None, 30, 7)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update

from ardoise.controlplane.habilitation_mails import reminder
from ardoise.controlplane.habilitations import HabilitationState, load
from ardoise.controlplane.journal import record
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.schema import habilitations, organisations
from ardoise.urls import Urls

STEPS = (7, 30)  # days before expiry, nearest first
_COLUMN = {30: "rappel_30_le", 7: "rappel_7_le"}


@dataclass(frozen=True)
class Sent:
    habilitation_id: str
    days: int
    mailed: bool


def due(left: timedelta) -> int | None:
    """The reminder a habilitation with ``left`` before expiry is due (the nearest step)."""
    return next((d for d in STEPS if left <= timedelta(days=d)), None)


def _claim(engine: Engine, habilitation_id: str, days: int, now: datetime) -> bool:
    column = habilitations.c[_COLUMN[days]]
    with engine.begin() as conn:
        done = conn.execute(
            update(habilitations)
            .where(habilitations.c.id == habilitation_id, column.is_(None))
            .values({_COLUMN[days]: now})
        )
        if done.rowcount == 1 and days == 7:  # J-30 is passed, never sent after J-7
            conn.execute(
                update(habilitations)
                .where(
                    habilitations.c.id == habilitation_id, habilitations.c.rappel_30_le.is_(None)
                )
                .values(rappel_30_le=now)
            )
    return done.rowcount == 1


def _release(engine: Engine, habilitation_id: str, days: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(habilitations)
            .where(habilitations.c.id == habilitation_id)
            .values({_COLUMN[days]: None})
        )


def send_reminders(engine: Engine, mailer: Mailer | None, now: datetime) -> list[Sent]:
    """Send every reminder due at ``now``; what was sent (``mailed`` False: no SMTP)."""
    horizon = now + timedelta(days=max(STEPS))
    with engine.connect() as conn:
        rows = conn.execute(
            select(habilitations.c.id, organisations.c.nom)
            .join(organisations, organisations.c.id == habilitations.c.organisation_id)
            .where(
                habilitations.c.etat == HabilitationState.VALIDEE.value,
                habilitations.c.expire_le > now,
                habilitations.c.expire_le <= horizon,
            )
        ).all()
    urls = Urls.of(mailer.public_url if mailer else "")
    sent: list[Sent] = []
    for habilitation_id, name in rows:
        with engine.connect() as conn:
            found = load(conn, habilitation_id)
        assert found.expires_at is not None
        days = due(found.expires_at - now)
        if days is None or not _claim(engine, habilitation_id, days, now):
            continue
        mailed = mailer.send(reminder(found, name, days, urls)) if mailer else False
        if mailer is not None and mailer.enabled and not mailed:
            _release(engine, habilitation_id, days)  # the next run tries again
            continue
        with engine.begin() as conn:
            record(conn, OPERATOR, "habilitation.rappel", found.organisation_id,
                   habilitation_id, {"jours": days, "envoye": mailed})  # fmt: skip
        sent.append(Sent(habilitation_id, days, mailed))
    return sent
