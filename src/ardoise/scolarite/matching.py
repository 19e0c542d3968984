"""Identity matching against the registry.

Candidates share the exact birth date, sex, school year and school (UAI, or a
département/région perimeter with the degree). Names compare by :func:`name_key`:

1. the birth name first; only if it finds nobody, the usage name;
2. among those, pupils whose given names include *every* given name asked: one is a
   match, two or more are ambiguous;
3. otherwise the asked given names are tried in order (up to three): the first that
   selects exactly one pupil is a match; one that selects several is ambiguous.

Ambiguity is an answer of its own (HTTP 409): never a guess, and it carries no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import Connection, or_, select

from ardoise.scolarite.normalise import name_key
from ardoise.scolarite.schema import eleves


@dataclass(frozen=True)
class IdentityQuery:
    nom_naissance: str
    prenoms: tuple[str, ...]
    sexe: str
    date_naissance: date
    annee_scolaire: str  # "2025-2026"
    uai: str | None = None
    departements: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    degre: str | None = None


class MatchKind(Enum):
    FOUND = "trouve"
    NOT_FOUND = "inconnu"
    AMBIGUOUS = "ambigu"


@dataclass(frozen=True)
class MatchResult:
    kind: MatchKind
    record: dict[str, Any] | None = None


def _select_by_name(
    rows: list[dict[str, Any]], column: str, key: str, given: list[str]
) -> MatchResult | None:
    named = [r for r in rows if r[column] == key]
    if not named:
        return None
    sets = [set(str(r["prenoms_cle"]).split("|")) for r in named]
    full = [r for r, s in zip(named, sets, strict=True) if all(g in s for g in given)]
    if len(full) == 1:
        return MatchResult(MatchKind.FOUND, full[0])
    if len(full) > 1:
        return MatchResult(MatchKind.AMBIGUOUS)
    for g in given:
        one = [r for r, s in zip(named, sets, strict=True) if g in s]
        if len(one) == 1:
            return MatchResult(MatchKind.FOUND, one[0])
        if len(one) > 1:
            return MatchResult(MatchKind.AMBIGUOUS)
    return None


def find(conn: Connection, q: IdentityQuery) -> MatchResult:
    key = name_key(q.nom_naissance)
    given = [k for k in dict.fromkeys(name_key(p) for p in q.prenoms[:3]) if k]
    if not key or not given:
        return MatchResult(MatchKind.NOT_FOUND)
    where = [
        eleves.c.date_naissance == q.date_naissance,
        eleves.c.sexe == q.sexe,
        eleves.c.annee_scolaire == q.annee_scolaire,
        or_(eleves.c.nom_naissance_cle == key, eleves.c.nom_usage_cle == key),
    ]
    if q.uai is not None:
        where.append(eleves.c.uai == q.uai)
    else:
        if q.departements:
            where.append(eleves.c.departement.in_(q.departements))
        if q.regions:
            where.append(eleves.c.region_academique.in_(q.regions))
        if q.degre:
            where.append(eleves.c.degre == q.degre)
    rows = [dict(r._mapping) for r in conn.execute(select(eleves).where(*where)).all()]
    for column in ("nom_naissance_cle", "nom_usage_cle"):
        result = _select_by_name(rows, column, key, given)
        if result is not None:
            return result
    return MatchResult(MatchKind.NOT_FOUND)
