"""The permission matrix (issue #15): every kind of principal × every action of the
control plane → exactly the expected allow or deny.

The cases are generated from one declared table, :data:`EXPECTED` (the specification,
written here independently of ``ardoise.controlplane.permissions.PERMISSIONS``): for each
action, the principals allowed; every other principal is refused. Principals are built
the way requests build them (an account's session through ``accounts.principal_of``, a
key through ``keys.principal_of_key``), and each action runs its real operation inside a
transaction rolled back afterwards. A refusal must be ``Unauthenticated`` for the
anonymous and ``Forbidden`` for everyone else, and leave no journal entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine, func, select

from ardoise.controlplane import (
    accounts,
    datasets,
    habilitations,
    harvests,
    journal,
    keys,
    organisations,
    register,
    restrictions,
)
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.errors import Forbidden, Unauthenticated
from ardoise.controlplane.harvests import Frequency
from ardoise.controlplane.organisations import MINISTRY
from ardoise.controlplane.permissions import OPERATOR, PERMISSIONS, Action, Principal, authorize
from ardoise.controlplane.schema import journal as journal_table
from ardoise.transparence.usage_pages import usage_siret
from tests.controlplane.habilitation_world import request as habilitation_request

OWNER, OTHER = "depp", "region-84"

PRINCIPALS = (
    "anonyme",
    "membre_autre_organisation",  # every role, in the other organisation
    "contributeur",
    "relecteur",
    "administrateur",
    "administrateur_national",
    "operateur",  # the shell (CLI)
    "cle_lire",
    "cle_soumettre",
    "cle_relire",
    "cle_autre_organisation",  # every scope, of the other organisation
    "instructeur",  # issue #16: instructor of habilitations, in the ministry's organisation
)
READERS = {"contributeur", "relecteur", "administrateur", "administrateur_national"}
ADMINS = {"administrateur", "administrateur_national", "operateur"}

EXPECTED: dict[str, set[str]] = {
    "organisation.creer": {"administrateur_national", "operateur"},
    "organisation.lire": READERS | {"operateur", "cle_lire"},
    "membre.gerer": ADMINS,
    "cle.gerer": ADMINS,
    "journal.lire": ADMINS,
    "jeu.declarer": ADMINS | {"cle_soumettre"},
    "version.soumettre": {"contributeur", "operateur", "cle_soumettre"},
    "soumission.lire": READERS | {"operateur", "cle_lire"},
    "soumission.relire": {"relecteur", "operateur", "cle_relire"},
    "jeu.restreindre": ADMINS,  # issue #16: the owner's administrators, never a key
    "acces.gerer": ADMINS,
    # issue #16: a partner's members read their usage (the instructors: every partner's)
    "usage.lire": READERS | {"operateur"},
    # issue #16: any signed-in person, for their own children; never an API key
    "famille.consulter": {
        "membre_autre_organisation",
        "instructeur",
        "contributeur",
        "relecteur",
        "administrateur",
        "administrateur_national",
        "operateur",
    },
    # issue #16, habilitations: the requesting organisation (here the owner) asks, reads,
    # holds the tokens; the ministry's instructors decide; the register is public
    "habilitation.demander": {"contributeur", "administrateur", "operateur"},
    "habilitation.lire": {
        "contributeur",
        "administrateur",
        "administrateur_national",
        "operateur",
        "cle_lire",
    },
    "jeton.emettre": {"administrateur", "operateur"},
    "habilitation.instruire": {"instructeur", "administrateur_national", "operateur"},
    "habilitation.decider": {"instructeur", "operateur"},
    "habilitation.suspendre": {"instructeur", "administrateur_national", "operateur"},
    "registre.lire": set(PRINCIPALS),
    "compte.gerer": {"administrateur_national", "operateur"},  # platform-wide, never a key
    "moisson.gerer": ADMINS | {"cle_soumettre"},
}


@dataclass(frozen=True)
class World:
    engine: Engine
    accounts: dict[str, str]  # principal kind → account id
    secrets: dict[str, str]  # principal kind → API key secret
    newcomer: str  # an account with no role, for membre.gerer


def _seed(engine: Engine) -> World:
    ids: dict[str, str] = {}
    secrets: dict[str, str] = {}
    with engine.begin() as conn:
        organisations.create_organisation(
            conn, OPERATOR, id=OWNER, name="DEPP", siret="13002526500013", type="direction"
        )
        organisations.create_organisation(
            conn, OPERATOR, id=OTHER, name="Région", siret="23690001900019", type="region"
        )
        organisations.create_organisation(
            conn, OPERATOR, id=MINISTRY, name="Ministère", siret="11004301500012", type="ministere"
        )
        for kind in (
            "membre_autre_organisation",
            "contributeur",
            "relecteur",
            "administrateur",
            "administrateur_national",
            "instructeur",
            "nouveau",
        ):
            ids[kind] = accounts.create_local_account(
                conn,
                OPERATOR,
                email=f"{kind}@exemple.fr",
                name=kind,
                password="x" * 12,
                national=kind == "administrateur_national",
            ).id
        for role in ("contributeur", "relecteur", "administrateur"):
            organisations.add_member(conn, OPERATOR, OWNER, ids[role], role)
            organisations.add_member(conn, OPERATOR, OTHER, ids["membre_autre_organisation"], role)
        organisations.add_member(conn, OPERATOR, MINISTRY, ids["instructeur"], "instructeur")
        for scope in ("lire", "soumettre", "relire"):
            secrets[f"cle_{scope}"] = keys.create_key(conn, OPERATOR, OWNER, scope, [scope])[1]
        secrets["cle_autre_organisation"] = keys.create_key(
            conn, OPERATOR, OTHER, "tout", ["lire", "soumettre", "relire"]
        )[1]
        datasets.declare_dataset(conn, OPERATOR, OWNER, "depp_jeu")
    newcomer = ids.pop("nouveau")
    return World(engine, ids, secrets, newcomer)


def _principal(conn: Connection, world: World, kind: str) -> Principal:
    if kind == "anonyme":
        return Principal()
    if kind == "operateur":
        return OPERATOR
    if kind in world.secrets:
        return keys.principal_of_key(conn, world.secrets[kind])
    return accounts.principal_of(conn, world.accounts[kind], f"session-{kind}")


def _operations(world: World) -> dict[str, Callable[[Connection, Principal], object]]:
    """The real operation of each action. Submissions and review have no operation yet
    (later layers of the issue): their actions are checked at ``authorize``, the gate
    those operations will call."""

    def gate(action: Action, on: str = OWNER) -> Callable[[Connection, Principal], object]:
        return lambda conn, p: authorize(p, action, on)

    return {
        "organisation.creer": lambda conn, p: organisations.create_organisation(
            conn, p, id="commune-69123", name="Lyon", siret="21690123100011", type="commune"
        ),
        "organisation.lire": lambda conn, p: organisations.get_organisation(conn, p, OWNER),
        "membre.gerer": lambda conn, p: organisations.add_member(
            conn, p, OWNER, world.newcomer, "relecteur"
        ),
        "cle.gerer": lambda conn, p: keys.create_key(conn, p, OWNER, "nouvelle", ["lire"]),
        "journal.lire": lambda conn, p: journal.entries(conn, p, OWNER),
        "jeu.declarer": lambda conn, p: datasets.declare_dataset(conn, p, OWNER, "nouveau_jeu"),
        "version.soumettre": gate(Action.VERSION_SOUMETTRE),
        "soumission.lire": gate(Action.SOUMISSION_LIRE),
        "soumission.relire": gate(Action.SOUMISSION_RELIRE),
        "jeu.restreindre": lambda conn, p: restrictions.restrict(conn, p, "depp_jeu"),
        "acces.gerer": lambda conn, p: restrictions.grant_access(
            conn, p, "depp_jeu", OTHER, row_filter='secteur = "public"', hidden=("ips",)
        ),
        "usage.lire": lambda conn, p: usage_siret(conn, p, OWNER),
        "famille.consulter": lambda conn, p: authorize(p, Action.FAMILLE_CONSULTER, None),
        "habilitation.demander": lambda conn, p: habilitations.create(
            conn, p, OWNER, habilitation_request()
        ),
        "habilitation.lire": lambda conn, p: habilitations.list_for(conn, p, OWNER),
        "jeton.emettre": gate(Action.JETON_EMETTRE),  # needs a validated one: see below
        "habilitation.instruire": lambda conn, p: habilitations.list_for(conn, p, None),
        "habilitation.decider": gate(Action.HABILITATION_DECIDER, MINISTRY),
        "habilitation.suspendre": gate(Action.HABILITATION_SUSPENDRE, MINISTRY),
        "registre.lire": lambda conn, p: register.entries(conn, p),
        "compte.gerer": lambda conn, p: accounts.set_active(conn, p, world.newcomer, False),
        "moisson.gerer": lambda conn, p: harvests.schedule(
            conn, p, "depp_jeu", "https://example.org/jeu.csv", Frequency.QUOTIDIENNE
        ),
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('matrice') / 'controle.db'}"
    else:
        url = str(request.getfixturevalue("postgres_schemas")())
    engine = make_engine(url)
    migrate(engine)
    yield _seed(engine)
    engine.dispose()


def test_the_expected_table_covers_every_action() -> None:
    assert set(EXPECTED) == {a.value for a in PERMISSIONS}
    assert all(allowed <= set(PRINCIPALS) for allowed in EXPECTED.values())


def _journal_size(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(journal_table)).scalar_one())


CASES = [(action, kind) for action in EXPECTED for kind in PRINCIPALS]


@pytest.mark.parametrize(("action", "kind"), CASES, ids=[f"{a}-{k}" for a, k in CASES])
def test_permission(world: World, action: str, kind: str) -> None:
    operation = _operations(world)[action]
    with world.engine.connect() as conn:
        transaction = conn.begin()
        try:
            principal = _principal(conn, world, kind)
            before = _journal_size(conn)
            if kind in EXPECTED[action]:
                operation(conn, principal)
            else:
                refusal = Unauthenticated if kind == "anonyme" else Forbidden
                with pytest.raises(refusal):
                    operation(conn, principal)
                assert _journal_size(conn) == before, "a refused action left a journal entry"
        finally:
            transaction.rollback()
