"""Control-plane fixtures: a migrated database on SQLite and on PostgreSQL (the throwaway
cluster of ``scripts/postgres.sh``, URL in ``ARDOISE_TEST_POSTGRES_URL``; skipped, with the
reason, when it is absent), one schema per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ardoise.controlplane.database import make_engine, migrate
from tests.postgres import postgres_url


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[object]:
    """A factory of fresh schemas in one throwaway database, dropped at the end."""
    server = postgres_url()
    if not server:
        pytest.skip("PostgreSQL absent : lancez `bash scripts/postgres.sh` (make test le fait)")
    admin = create_engine(_psycopg(server), isolation_level="AUTOCOMMIT")
    name = f"ardoise_cp_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = server.rsplit("/", 1)[0] + "/" + name
    db = create_engine(_psycopg(db_url), isolation_level="AUTOCOMMIT")

    def new() -> str:
        schema = f"cp_{uuid.uuid4().hex[:12]}"
        with db.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        return f"{db_url}?options=-csearch_path%3D{schema}"

    yield new
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def cp_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'controle.db'}"
    factory = request.getfixturevalue("postgres_schemas")
    return str(factory())  # type: ignore[operator]


@pytest.fixture
def engine(cp_url: str) -> Iterator[Engine]:
    eng = make_engine(cp_url)
    migrate(eng)
    yield eng
    eng.dispose()
