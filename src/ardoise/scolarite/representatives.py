"""Legal representatives of pupils (``scolarite_representants``) and who a signed-in parent
is the representative of.

A pupil has one or two representatives (rank 1 and 2), each with the identity a
FranceConnect sign-in gives: birth name, given names, birth date, birth place (COG code),
optionally a usage name and a contact address. In the synthetic registry they are
generated with the pupils (:func:`synthetic_rows`), marked ``synthetique``.

**The matching rule** (:func:`links_of`): a signed-in person represents a pupil when one
of the pupil's representative rows

1. carries the provider's subject in ``sub`` (a row already tied to that FranceConnect
   identity, e.g. by the school); or
2. matches the identity pivot exactly: the birth name (``family_name``), the first given
   name (first word of ``given_name``) and the birth date (``birthdate``), names compared
   by :func:`~ardoise.scolarite.normalise.name_key`; and, when the row knows the birth
   place, the provider's ``birthplace`` too. All of them are required: a provider that
   gives no birth date matches no row by the pivot.

The e-mail address never links anybody: a family mailbox is shared, and FranceConnect's
address is not part of the verified identity pivot.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select

from ardoise.scolarite.normalise import name_key
from ardoise.scolarite.schema import eleves, representants
from ardoise.scolarite.synthetic_names import BOYS, GIRLS, SURNAMES

LINKS = ("mere", "pere", "tuteur", "autre")


@dataclass(frozen=True)
class Person:
    """Who the identity provider says signed in (the FranceConnect identity pivot)."""

    issuer: str
    subject: str
    given_names: str
    family_name: str
    birthdate: date | None
    birthplace: str = ""


@dataclass(frozen=True)
class Representative:
    """One representative row, as a loader writes it."""

    identifiant_eleve: str
    rang: int
    lien: str
    nom_naissance: str
    prenoms: str
    date_naissance: date
    nom_usage: str | None = None
    lieu_naissance: str | None = None
    courriel: str | None = None
    sub: str | None = None
    synthetique: bool = False

    def row(self) -> dict[str, Any]:
        first = self.prenoms.split()[0] if self.prenoms.split() else ""
        return {
            **self.__dict__,
            "nom_naissance_cle": name_key(self.nom_naissance),
            "nom_usage_cle": name_key(self.nom_usage) if self.nom_usage else None,
            "prenom_cle": name_key(first),
        }


@dataclass(frozen=True)
class Child:
    """A pupil a signed-in person represents (what the families' view shows of them)."""

    identifiant: str
    prenom: str
    nom: str
    lien: str


def pivot_condition(person: Person) -> Any:
    """The SQL condition of rule 2 (None when the identity is incomplete)."""
    words = person.given_names.split()
    if person.birthdate is None or not words or not name_key(person.family_name):
        return None
    r = representants.c
    return and_(
        r.nom_naissance_cle == name_key(person.family_name),
        r.prenom_cle == name_key(words[0]),
        r.date_naissance == person.birthdate,
        or_(r.lieu_naissance.is_(None), r.lieu_naissance == (person.birthplace or "")),
    )


def links_of(conn: Connection, person: Person) -> list[Child]:
    """The pupils ``person`` represents, by the rule above (each once, by identifier)."""
    r = representants.c
    conditions = [r.sub == person.subject] if person.subject else []
    pivot = pivot_condition(person)
    if pivot is not None:
        conditions.append(pivot)
    if not conditions:
        return []
    rows = conn.execute(
        select(r.identifiant_eleve, r.lien).where(or_(*conditions)).order_by(r.identifiant_eleve)
    ).all()
    links = dict((str(i), str(lien)) for i, lien in rows)
    if not links:
        return []
    e = eleves.c
    names = conn.execute(
        select(e.identifiant, e.prenom1, e.nom_usage, e.nom_naissance, e.annee_scolaire)
        .where(e.identifiant.in_(list(links)))
        .order_by(e.identifiant, e.annee_scolaire.desc())
    ).all()
    seen: dict[str, Child] = {}
    for ident, prenom, usage, naissance, _year in names:
        if ident not in seen:  # the latest school year's names
            seen[ident] = Child(ident, prenom, usage or naissance, links[ident])
    return sorted(seen.values(), key=lambda c: (c.prenom, c.identifiant))


def load(conn: Connection, rows: Iterable[Representative], batch: int = 20_000) -> int:
    """Insert representative rows in the caller's transaction; how many."""
    count, pending = 0, []
    for rep in rows:
        pending.append(rep.row())
        if len(pending) >= batch:
            conn.execute(insert(representants), pending)
            count, pending = count + len(pending), []
    if pending:
        conn.execute(insert(representants), pending)
        count += len(pending)
    return count


def clear_synthetic(conn: Connection) -> int:
    return int(
        conn.execute(delete(representants).where(representants.c.synthetique.is_(True))).rowcount
    )


def _ascii(value: str) -> str:
    return name_key(value).lower().replace(" ", "-")


def synthetic_rows(
    pupils: Iterable[Sequence[Any]], columns: Sequence[str], seed: int = 7
) -> Iterator[Representative]:
    """One or two invented representatives per pupil row (``columns`` names its fields):
    the father keeps the child's birth name, the mother half the time; birth dates 20 to
    45 years before the child's; contact addresses under ``exemple.invalid``."""
    rnd = random.Random(seed * 7919 + 1)
    index = {c: i for i, c in enumerate(columns)}
    for n, pupil in enumerate(pupils):
        ident, nom = pupil[index["identifiant"]], pupil[index["nom_naissance"]]
        born: date = pupil[index["date_naissance"]]
        count = 1 if rnd.random() < 0.25 else 2
        kinds = rnd.sample(("mere", "pere"), 2)[:count]
        if rnd.random() < 0.02:
            kinds = ["tuteur"]
        for rang, lien in enumerate(kinds, start=1):
            pool = (
                GIRLS if lien == "mere" else BOYS if lien == "pere" else rnd.choice((GIRLS, BOYS))
            )
            own = nom if lien == "pere" or rnd.random() < 0.5 else rnd.choice(SURNAMES)
            given = " ".join(dict.fromkeys(rnd.choices(pool, k=rnd.choice((1, 2)))))
            age = rnd.randint(20, 45)
            yield Representative(
                identifiant_eleve=ident,
                rang=rang,
                lien=lien,
                nom_naissance=own,
                prenoms=given,
                date_naissance=date(born.year - age, rnd.randint(1, 12), rnd.randint(1, 28)),
                nom_usage=nom if own != nom and lien == "mere" and rnd.random() < 0.5 else None,
                lieu_naissance=f"{rnd.randint(1, 95):02d}{rnd.randint(1, 400):03d}",
                courriel=f"{_ascii(given.split()[0])}.{_ascii(own)}.{n}@exemple.invalid",
                synthetique=True,
            )
