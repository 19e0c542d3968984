"""Legal representatives (issue #16): the matching rule of a signed-in person to the pupils
they represent, and the synthetic generator that fills the table (marked synthetic)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from ardoise.scolarite import representatives
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.extract import import_extract
from ardoise.scolarite.representatives import Person, Representative, links_of
from ardoise.scolarite.schema import eleves, representants
from ardoise.scolarite.synthetic import generate
from tests.scolarite.conftest import new_registry_url
from tests.scolarite.sample import NOW, PUPILS, write_extract

BORN = date(1981, 2, 3)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = new_registry_url(request.param, tmp_path, request)
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    assert import_extract(engine, write_extract(tmp_path / "x.csv", PUPILS), today=NOW.date()).ok
    with engine.begin() as conn:
        representatives.load(
            conn,
            [
                Representative("0000000001A", 1, "mere", "Lefèvre", "Maëlle Anne", BORN,
                               lieu_naissance="35238", courriel="commun@exemple.invalid"),
                Representative("0000000007G", 2, "mere", "Lefèvre", "Maëlle", BORN),
                Representative("0000000002B", 1, "tuteur", "Autre", "Yannig", BORN,
                               sub="fc-sub-42", courriel="commun@exemple.invalid"),
            ],
        )  # fmt: skip
    yield engine
    engine.dispose()


def _ids(engine: Engine, person: Person) -> list[str]:
    with engine.connect() as conn:
        return [c.identifiant for c in links_of(conn, person)]


def test_the_identity_pivot_links_normalised_names(engine: Engine) -> None:
    person = Person("fc", "s1", "MAELLE", "lefevre", BORN, "35238")
    assert _ids(engine, person) == ["0000000007G", "0000000001A"]  # both, by first name
    with engine.connect() as conn:
        kids = links_of(conn, person)
    zoe = next(k for k in kids if k.identifiant == "0000000001A")
    assert (zoe.prenom, zoe.nom, zoe.lien) == ("Zoé", "Kerbrazélec", "mere")  # usage name


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        # a row that knows the birth place needs the same one; the other row does not
        (Person("fc", "s", "Maëlle", "Lefèvre", BORN, "75056"), ["0000000007G"]),
        (Person("fc", "s", "Maëlle", "Lefèvre", BORN, ""), ["0000000007G"]),
        # every pivot field is required
        (Person("fc", "s", "Maëlle", "Lefèvre", None, "35238"), []),
        (Person("fc", "s", "Maëlle", "Lefèvre", date(1981, 2, 4), "35238"), []),
        (Person("fc", "s", "Anne", "Lefèvre", BORN, "35238"), []),  # not the first given name
        (Person("fc", "s", "", "Lefèvre", BORN, "35238"), []),
        # the subject a row already carries links it, whatever the names
        (Person("fc", "fc-sub-42", "X", "Y", None, ""), ["0000000002B"]),
        (Person("fc", "", "Yannig", "Inconnu", BORN, ""), []),
    ],
)
def test_the_matching_rule(engine: Engine, person: Person, expected: list[str]) -> None:
    assert _ids(engine, person) == expected


def test_the_email_address_never_links(engine: Engine) -> None:
    # both rows carry this address; a person with no pivot and another subject gets nothing
    assert _ids(engine, Person("fc", "quelquun", "Commun", "Commun", None)) == []


def test_the_generator_gives_every_pupil_one_or_two_synthetic_representatives(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'synth.db'}")
    migrate(engine)
    result = generate(engine, 400, "2025-2026", None, seed=3)
    assert result.pupils == 400 and 400 <= result.representatives <= 800
    with engine.connect() as conn:
        per_pupil = conn.execute(
            select(representants.c.identifiant_eleve, func.count())
            .group_by(representants.c.identifiant_eleve)
        ).all()  # fmt: skip
        pupils = set(conn.execute(select(eleves.c.identifiant)).scalars())
        unmarked = conn.execute(
            select(func.count()).select_from(representants).where(~representants.c.synthetique)
        ).scalar_one()
        one = conn.execute(select(representants).limit(1)).one()._mapping
    assert {p for p, _n in per_pupil} == pupils and all(1 <= n <= 2 for _p, n in per_pupil)
    assert unmarked == 0 and str(one["courriel"]).endswith("@exemple.invalid")
    # generated parents can sign in: their own pivot links them to their child
    person = Person("fc", "", one["prenoms"], one["nom_naissance"], one["date_naissance"],
                    one["lieu_naissance"])  # fmt: skip
    with engine.connect() as conn:
        assert one["identifiant_eleve"] in [c.identifiant for c in links_of(conn, person)]
    again = generate(engine, 100, "2025-2026", None, seed=3)  # replaces, does not pile up
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(representants)).scalar_one()
    assert total == again.representatives
    engine.dispose()
