"""Use of the enrolment API per habilitation (per token until tokens carry a habilitation):
calls per day, found / not found / refused, throttle events, computed from the audit
journal only (issue #16). One function, :func:`usage`, computes every number; the pages
and the JSON of ``ardoise.transparence.usage_pages`` show it.

What each call of a token counts as (entries of ``genre = "appel"`` with a token):

* found: ``trouve`` (identity answered), ``certificat`` (certificate issued);
* not found: ``inconnu`` (nobody), ``ambigu`` (several pupils), ``sorti`` (left school);
* refused: any other answer with a status of 400 or more (expired or revoked token,
  scope, parameters, rate limit, enumeration throttle);
* throttle event: a 429 (rate limit or enumeration refusal) or a call slowed by the
  enumeration throttle (``drapeau = "enumeration"``).

**Anomalies** (the rule, declared once, :data:`SPIKE_FACTOR` and the others):

1. a *spike*: a day whose calls exceed 3 × the median of the group's active days, when
   the group has at least 3 active days and that day at least 10 calls;
2. a *not-found share* far above the others: the group's share of not found among its
   searches (found + not found) exceeds both twice the median share of all groups and
   that median plus 25 points, with at least 20 searches. Shares are compared over every
   group, whoever looks: a partner sees the same flags as the instructors.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Engine, and_, case, func, select

from ardoise.scolarite.schema import audit, jetons

FOUND = ("trouve", "certificat")
NOT_FOUND = ("inconnu", "ambigu", "sorti")
SPIKE_FACTOR = 3.0
SPIKE_MIN_DAYS = 3
SPIKE_MIN_CALLS = 10
SHARE_FACTOR = 2.0
SHARE_MARGIN = 0.25
SHARE_MIN_SEARCHES = 20


@dataclass(frozen=True)
class DayUsage:
    day: date
    calls: int
    found: int
    not_found: int
    refused: int
    throttled: int
    spike: bool = False


@dataclass(frozen=True)
class GroupUsage:
    """One habilitation's (or, without one, one token's) use over the period."""

    key: str  # the habilitation id, or the token id
    kind: str  # "habilitation" or "jeton"
    title: str  # the token's intitule (the first token's, for a habilitation)
    siret: str
    tokens: tuple[str, ...]
    days: tuple[DayUsage, ...]
    not_found_share: float | None  # None: no search
    share_anomaly: bool

    @property
    def calls(self) -> int:
        return sum(d.calls for d in self.days)

    def total(self, name: str) -> int:
        return sum(int(getattr(d, name)) for d in self.days)

    @property
    def anomalies(self) -> tuple[str, ...]:
        """In French, for the page and the JSON."""
        found = [f"pic d'appels le {d.day.isoformat()}" for d in self.days if d.spike]
        if self.share_anomaly and self.not_found_share is not None:
            share = round(100 * self.not_found_share)
            found.append(f"part de recherches infructueuses anormale ({share} %)")
        return tuple(found)


def _daily(engine: Engine, since: date) -> list[tuple[str, str, int, int, int, int, int]]:
    a = audit.c
    day = func.substr(a.horodatage, 1, 10)
    found = a.resultat.in_(FOUND)
    missed = a.resultat.in_(NOT_FOUND)
    refused = and_(a.statut >= 400, ~found, ~missed)
    throttled = (a.statut == 429) | (a.drapeau == "enumeration")
    total = func.count()

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            a.jeton_id, day, total, count(found), count(missed), count(refused), count(throttled)
        )
        .where(a.genre == "appel", a.jeton_id.is_not(None), a.horodatage >= since.isoformat())
        .group_by(a.jeton_id, day)
        .order_by(a.jeton_id, day)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        (
            str(r[0]),
            str(r[1]),
            int(r[2] or 0),
            int(r[3] or 0),
            int(r[4] or 0),
            int(r[5] or 0),
            int(r[6] or 0),
        )
        for r in rows
    ]


def _tokens(engine: Engine) -> dict[str, tuple[str, str, str | None]]:
    """token id → (intitule, siret, habilitation id or None)."""
    habilitation = jetons.c.get("habilitation_id")  # the habilitations' column, once merged
    cols = [jetons.c.id, jetons.c.intitule, jetons.c.siret]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols, *([habilitation] if habilitation is not None else [])))
        return {
            str(r[0]): (str(r[1]), str(r[2]), str(r[3]) if len(r) > 3 and r[3] else None)
            for r in rows
        }


def _spikes(days: list[DayUsage]) -> list[DayUsage]:
    active = [d.calls for d in days if d.calls]
    if len(active) < SPIKE_MIN_DAYS:
        return days
    median = statistics.median(active)
    return [
        DayUsage(
            **{
                **d.__dict__,
                "spike": d.calls >= SPIKE_MIN_CALLS and d.calls > SPIKE_FACTOR * median,
            }
        )
        for d in days
    ]


def _share(days: Iterable[DayUsage]) -> tuple[float | None, int]:
    found = sum(d.found for d in days)
    missed = sum(d.not_found for d in days)
    searches = found + missed
    return (missed / searches if searches else None), searches


def usage(
    engine: Engine,
    today: date,
    days: int = 30,
    sirets: set[str] | None = None,
    habilitations: Mapping[str, str] | None = None,
) -> list[GroupUsage]:
    """Each group's use over the ``days`` days up to ``today``; only the tokens of
    ``sirets`` when given (a partner), every token otherwise (the instructors).
    ``habilitations`` (token id → habilitation id) overrides the tokens' own
    ``habilitation_id`` column."""
    since = today - timedelta(days=days - 1)
    tokens = _tokens(engine)
    if habilitations is not None:
        tokens = {k: (t, s, habilitations.get(k)) for k, (t, s, _h) in tokens.items()}
    grouped: dict[tuple[str, str], dict[str, list[int]]] = {}
    members: dict[tuple[str, str], list[str]] = {}
    for token_id, day, *counts in _daily(engine, since):
        habilitation = tokens.get(token_id, ("", "", None))[2]
        group = ("habilitation", habilitation) if habilitation else ("jeton", token_id)
        per_day = grouped.setdefault(group, {})
        sums = per_day.get(day, [0, 0, 0, 0, 0])
        per_day[day] = [x + y for x, y in zip(sums, counts, strict=True)]
        if token_id not in members.setdefault(group, []):
            members[group].append(token_id)
    drafts: list[tuple[str, str, str, str, tuple[str, ...], list[DayUsage]]] = []
    for group, per_day in grouped.items():
        title, siret, _h = tokens.get(members[group][0], ("Jeton supprimé", "", None))
        rows = [
            DayUsage(date.fromisoformat(d), v[0], v[1], v[2], v[3], v[4])
            for d, v in sorted(per_day.items())
        ]
        drafts.append((group[0], group[1], title, siret, tuple(members[group]), _spikes(rows)))
    shares = [s for s in (_share(r[5])[0] for r in drafts) if s is not None]
    median_share = statistics.median(shares) if shares else 0.0
    result = []
    for kind, key, title, siret, ids, rows in drafts:
        share, searches = _share(rows)
        odd = (
            share is not None
            and searches >= SHARE_MIN_SEARCHES
            and share > SHARE_FACTOR * median_share
            and share > median_share + SHARE_MARGIN
        )
        if sirets is None or siret in sirets:
            result.append(GroupUsage(key, kind, title, siret, ids, tuple(rows), share, odd))
    return sorted(result, key=lambda g: (g.siret, g.title, g.key))
