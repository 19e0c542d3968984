"""Organisations, accounts, members, API keys, dataset ownership and the journal, on
SQLite and PostgreSQL (issue #15, the control plane)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect, select

from ardoise.controlplane import accounts, datasets, journal, keys, organisations
from ardoise.controlplane.database import is_migrated, make_engine, migrate
from ardoise.controlplane.errors import (
    AccountNotFound,
    Conflict,
    ControlPlaneError,
    Forbidden,
    OrganisationNotFound,
    Unauthenticated,
)
from ardoise.controlplane.permissions import OPERATOR, Principal, Role, Scope
from ardoise.controlplane.schema import cles, comptes
from ardoise.controlplane.schema import journal as journal_table

DEPP_SIRET = "13002526500013"


def _depp(engine: Engine) -> None:
    with engine.begin() as conn:
        organisations.create_organisation(
            conn, OPERATOR, id="depp", name="DEPP", siret=DEPP_SIRET, type="direction"
        )


def test_migrations_are_idempotent_and_use_their_own_version_table(engine: Engine) -> None:
    migrate(engine)  # a second time: nothing to do
    assert is_migrated(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"cp_organisations", "cp_comptes", "cp_membres", "cp_cles", "cp_jeux"} <= tables
    assert "cp_alembic_version" in tables and "alembic_version" not in tables


def test_an_organisation_is_checked_before_it_is_stored(engine: Engine) -> None:
    _depp(engine)
    bad = [
        ({"id": "x"}, "Identifiant"),
        ({"siret": "13002526500014"}, "SIRET"),
        ({"type": "club"}, "Type « club » inconnu"),
        ({"territory": "REG:8"}, "Territoire"),
        ({"name": "  "}, "nom"),
    ]
    for change, message in bad:
        values = {"id": "region-84", "name": "Région", "siret": "23690001900019"}
        values |= {"type": "region", "territory": "REG:84"} | change
        with engine.begin() as conn, pytest.raises(ControlPlaneError, match=message):
            organisations.create_organisation(conn, OPERATOR, **values)  # type: ignore[arg-type]
    with engine.begin() as conn, pytest.raises(Conflict, match="SIRET"):
        organisations.create_organisation(
            conn, OPERATOR, id="autre", name="Autre", siret=DEPP_SIRET, type="operateur"
        )
    with engine.connect() as conn:
        assert [o.id for o in organisations.list_organisations(conn, OPERATOR)] == ["depp"]
        with pytest.raises(OrganisationNotFound):
            organisations.find_organisation(conn, "region-84")


def test_local_accounts_hash_with_argon2_and_verify(engine: Engine) -> None:
    with engine.begin() as conn:
        alice = accounts.create_local_account(
            conn, OPERATOR, email="Alice@Exemple.fr", name="Alice", password="un mot de passe"
        )
        with pytest.raises(ControlPlaneError, match="trop court"):
            accounts.create_local_account(
                conn, OPERATOR, email="b@exemple.fr", name="B", password="court"
            )
        with pytest.raises(Forbidden):
            accounts.create_local_account(
                conn,
                Principal(account_id=alice.id),
                email="c@exemple.fr",
                name="C",
                password="x" * 20,
            )
        with pytest.raises(Conflict):
            accounts.create_local_account(
                conn, OPERATOR, email="alice@exemple.fr", name="A", password="x" * 20
            )
    with engine.connect() as conn:
        stored = conn.execute(select(comptes.c.mot_de_passe)).scalar_one()
        assert stored.startswith("$argon2id$") and "un mot de passe" not in stored
        assert accounts.verify_password(conn, "alice@exemple.fr", "un mot de passe") == alice
        assert accounts.verify_password(conn, "alice@exemple.fr", "un autre mot") is None
        assert accounts.verify_password(conn, "nobody@exemple.fr", "un mot de passe") is None
        with pytest.raises(AccountNotFound):
            accounts.find_account(conn, "nobody@exemple.fr")


def test_an_oidc_identity_gets_one_account(engine: Engine) -> None:
    with engine.begin() as conn:
        first = accounts.oidc_account(
            conn, issuer="https://idp.exemple", subject="s1", email="z@exemple.fr", name="Zoé"
        )
        again = accounts.oidc_account(
            conn, issuer="https://idp.exemple", subject="s1", email="z@exemple.fr", name="Zoé"
        )
    assert first == again and not first.local
    with engine.connect() as conn:  # no password: a local sign-in is refused
        assert accounts.verify_password(conn, "z@exemple.fr", "") is None


def test_roles_are_read_per_request(engine: Engine) -> None:
    _depp(engine)
    with engine.begin() as conn:
        bob = accounts.create_local_account(
            conn, OPERATOR, email="bob@exemple.fr", name="Bob", password="x" * 12
        )
        organisations.add_member(conn, OPERATOR, "depp", bob.id, "relecteur")
        organisations.add_member(conn, OPERATOR, "depp", bob.id, "contributeur")
        with pytest.raises(Conflict):
            organisations.add_member(conn, OPERATOR, "depp", bob.id, "relecteur")
        with pytest.raises(ControlPlaneError, match="Rôle « chef » inconnu"):
            organisations.add_member(conn, OPERATOR, "depp", bob.id, "chef")
    with engine.begin() as conn:
        p = accounts.principal_of(conn, bob.id, "cookie-secret")
        assert p.roles_in("depp") == {Role.RELECTEUR, Role.CONTRIBUTEUR}
        assert p.session_id is not None and "cookie-secret" not in p.session_id
        assert [m.role for m in organisations.members(conn, p, "depp")] == [
            Role.CONTRIBUTEUR,
            Role.RELECTEUR,
        ]
        organisations.remove_member(conn, OPERATOR, "depp", bob.id, "relecteur")
        assert accounts.principal_of(conn, bob.id).roles_in("depp") == {Role.CONTRIBUTEUR}


def test_api_keys_are_hashed_shown_once_scoped_and_revocable(engine: Engine) -> None:
    _depp(engine)
    with engine.begin() as conn:
        key, secret = keys.create_key(
            conn, OPERATOR, "depp", "chaîne de publication", ["soumettre"]
        )
        with pytest.raises(ControlPlaneError, match="Portée « tout » inconnue"):
            keys.create_key(conn, OPERATOR, "depp", "x", ["tout"])
    assert keys.well_formed(secret) and key.scopes == {Scope.SOUMETTRE}
    with engine.begin() as conn:
        assert secret not in str(conn.execute(select(cles)).all())  # only a digest is stored
        p = keys.principal_of_key(conn, secret)
        assert (p.key_id, p.key_organisation, p.scopes) == (key.id, "depp", {Scope.SOUMETTRE})
        used = keys.list_keys(conn, OPERATOR, "depp")[0].last_used_at
        assert used is not None
        keys.revoke_key(conn, OPERATOR, "depp", key.id)
        for wrong in (secret, "ard_" + "A" * 43, "nimportequoi"):
            with pytest.raises(Unauthenticated, match="inconnue ou révoquée"):
                keys.principal_of_key(conn, wrong)
        assert keys.list_keys(conn, OPERATOR, "depp")[0].revoked_at is not None


def test_last_use_is_written_at_most_once_a_minute(engine: Engine) -> None:
    _depp(engine)
    with engine.begin() as conn:
        _key, secret = keys.create_key(conn, OPERATOR, "depp", "x", ["lire"])
        t0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
        keys.principal_of_key(conn, secret, now=t0)
        keys.principal_of_key(conn, secret, now=t0 + timedelta(seconds=30))
        assert keys.list_keys(conn, OPERATOR, "depp")[0].last_used_at == t0
        keys.principal_of_key(conn, secret, now=t0 + timedelta(minutes=2))
        assert keys.list_keys(conn, OPERATOR, "depp")[0].last_used_at == t0 + timedelta(minutes=2)


def test_the_ministry_owns_the_catalog_and_producers_their_datasets(engine: Engine) -> None:
    _depp(engine)
    with engine.begin() as conn:
        organisations.create_organisation(
            conn,
            OPERATOR,
            id="ministere",
            name="Ministère",
            siret="11004301500012",
            type="ministere",
        )
        assert datasets.claim_for_ministry(conn, OPERATOR, ["effectifs", "ips"]) == 2
        assert datasets.claim_for_ministry(conn, OPERATOR, ["effectifs", "ips"]) == 0
        datasets.declare_dataset(conn, OPERATOR, "depp", "depp_indicateurs")
        with pytest.raises(Conflict, match="appartient déjà"):
            datasets.declare_dataset(conn, OPERATOR, "depp", "ips")
        with pytest.raises(ControlPlaneError, match="invalide"):
            datasets.declare_dataset(conn, OPERATOR, "depp", "Pas Bon")
        assert datasets.owner(conn, "ips") == "ministere"
        assert datasets.datasets_of(conn, OPERATOR, "depp") == ["depp_indicateurs"]


def test_the_journal_says_who_did_what_and_is_for_administrators(engine: Engine) -> None:
    _depp(engine)
    with engine.begin() as conn:
        admin = accounts.create_local_account(
            conn, OPERATOR, email="a@exemple.fr", name="A", password="x" * 12
        )
        other = accounts.create_local_account(
            conn, OPERATOR, email="o@exemple.fr", name="O", password="x" * 12
        )
        organisations.add_member(conn, OPERATOR, "depp", admin.id, "administrateur")
        organisations.add_member(conn, OPERATOR, "depp", other.id, "contributeur")
        session = accounts.principal_of(conn, admin.id, "session-1")
        key, _secret = keys.create_key(conn, session, "depp", "robot", ["lire"])
        entries = journal.entries(conn, session, "depp")
        with pytest.raises(Forbidden):
            journal.entries(conn, accounts.principal_of(conn, other.id), "depp")
        with pytest.raises(Forbidden):  # the whole platform's journal: national only
            journal.entries(conn, session, None)
    newest = entries[0]
    assert (newest.action, newest.subject, newest.origin) == ("cle.creer", key.id, "session")
    assert (newest.account_id, newest.session_id) == (admin.id, session.session_id)
    assert newest.details == {"scopes": "lire"}
    assert [e.action for e in entries][-1] == "organisation.creer"
    assert entries[-1].origin == "cli"


def test_a_refused_action_writes_nothing(engine: Engine) -> None:
    _depp(engine)
    with engine.connect() as conn:
        before = len(conn.execute(select(journal_table)).all())
    with engine.begin() as conn, pytest.raises(Unauthenticated):
        keys.create_key(conn, Principal(), "depp", "x", ["lire"])
    with engine.connect() as conn:
        rows = conn.execute(select(journal_table)).all()
        assert len(rows) == before
        assert all("ard_" not in json.dumps(list(r), default=str) for r in rows)


def test_replicas_starting_together_migrate_one_at_a_time(
    postgres_schemas: Callable[[], str],
) -> None:
    """Three replicas opening an empty PostgreSQL control plane at the same moment: each
    migrates (one after the other, under an advisory lock), none fails."""
    url = postgres_schemas()
    engines = [make_engine(url) for _ in range(3)]
    start = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def open_one(engine: Engine) -> None:
        start.wait()
        try:
            migrate(engine)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_one, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert failures == [] and all(is_migrated(e) for e in engines), failures
    finally:
        for e in engines:
            e.dispose()


def test_processes_starting_together_migrate_one_at_a_time(
    postgres_schemas: Callable[[], str],
) -> None:
    """The same across processes (replicas): the advisory lock serialises them."""
    url = postgres_schemas()
    script = (
        "import sys, time\n"
        "from ardoise.controlplane.database import make_engine, migrate\n"
        "engine = make_engine(sys.argv[1])\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "migrate(engine)\n"
    )
    at = str(time.time() + 3)  # the three start migrating at the same instant
    runs = [
        subprocess.Popen([sys.executable, "-c", script, url, at], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in runs]
    assert [p.returncode for p in runs] == [0, 0, 0], errors
    engine = make_engine(url)
    try:
        assert is_migrated(engine)
    finally:
        engine.dispose()
