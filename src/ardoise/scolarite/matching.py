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

from sqlalchemy import ColumnElement, any_, bindparam, or_

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


def name_keys(q: IdentityQuery) -> tuple[str, list[str]]:
    """The normalised birth name and (up to three, distinct) given names asked."""
    key = name_key(q.nom_naissance)
    given = [k for k in dict.fromkeys(name_key(p) for p in q.prenoms[:3]) if k]
    return key, given


def conditions(q: IdentityQuery, arrays: bool = False) -> list[ColumnElement[bool]]:
    """Candidates' conditions, with named parameters (values: :func:`parameters`).

    Lists (départements, régions) are expanding ``IN`` parameters, or with ``arrays``
    ``= ANY(array)`` parameters (PostgreSQL), so one compiled statement serves every
    list length."""

    def member(column: ColumnElement[str], name: str) -> ColumnElement[bool]:
        if arrays:
            return column == any_(bindparam(name))
        return column.in_(bindparam(name, expanding=True))

    where: list[ColumnElement[bool]] = [
        eleves.c.date_naissance == bindparam("date_naissance"),
        eleves.c.sexe == bindparam("sexe"),
        eleves.c.annee_scolaire == bindparam("annee_scolaire"),
        or_(
            eleves.c.nom_naissance_cle == bindparam("cle"),
            eleves.c.nom_usage_cle == bindparam("cle"),
        ),
    ]
    if q.uai is not None:
        where.append(eleves.c.uai == bindparam("uai"))
    else:
        if q.departements:
            where.append(member(eleves.c.departement, "departements"))
        if q.regions:
            where.append(member(eleves.c.region_academique, "regions"))
        if q.degre:
            where.append(eleves.c.degre == bindparam("degre"))
    return where


def shape(q: IdentityQuery) -> tuple[bool, bool, bool, bool]:
    """What distinguishes the statements of :func:`conditions` (a cache key)."""
    return (q.uai is not None, bool(q.departements), bool(q.regions), bool(q.degre))


def parameters(q: IdentityQuery) -> dict[str, Any]:
    """The values of the parameters :func:`conditions` names for ``q`` (and only those)."""
    values: dict[str, Any] = {
        "date_naissance": q.date_naissance,
        "sexe": q.sexe,
        "annee_scolaire": q.annee_scolaire,
        "cle": name_key(q.nom_naissance),
    }
    if q.uai is not None:
        values["uai"] = q.uai
    else:
        if q.departements:
            values["departements"] = list(q.departements)
        if q.regions:
            values["regions"] = list(q.regions)
        if q.degre:
            values["degre"] = q.degre
    return values


def choose(rows: list[dict[str, Any]], q: IdentityQuery) -> MatchResult:
    """The answer among the candidates of :func:`conditions` (birth name, then usage name)."""
    key, given = name_keys(q)
    if not key or not given:
        return MatchResult(MatchKind.NOT_FOUND)
    for column in ("nom_naissance_cle", "nom_usage_cle"):
        result = _select_by_name(rows, column, key, given)
        if result is not None:
            return result
    return MatchResult(MatchKind.NOT_FOUND)
