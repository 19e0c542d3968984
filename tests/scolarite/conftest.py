"""Scolarité fixtures: registries on SQLite and on PostgreSQL (the throwaway cluster of
``scripts/postgres.sh``, URL in ``ARDOISE_TEST_POSTGRES_URL``; skipped, with the reason,
when it is absent), and a log watch for personal data over the whole session."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.postgres import postgres_url
from tests.scolarite.sample import PRIVATE_STRINGS


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name} {record.getMessage()}")
        except Exception:  # a record that cannot format is not our business here
            self.lines.append(f"{record.name} {record.msg!r}")


COLLECTOR = _Collector()


def pytest_configure(config: pytest.Config) -> None:
    # Installed when this conftest loads (collection), so it sees the whole session's logs,
    # from INFO up (access logs, SQLAlchemy statements if any logger turns them on).
    root = logging.getLogger()
    root.addHandler(COLLECTOR)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


# The tests' own HTTP clients log the URLs they call: client side, not the application's.
CLIENT_LOGGERS = ("httpx ", "httpx2 ", "httpcore")


def leaks(lines: list[str]) -> list[str]:
    return [
        line
        for line in lines
        if not line.startswith(CLIENT_LOGGERS) and any(s in line for s in PRIVATE_STRINGS)
    ]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    found = leaks(COLLECTOR.lines)
    logging.getLogger().removeHandler(COLLECTOR)
    if found:
        print("\nDonnées personnelles dans les journaux :\n" + "\n".join(found[:20]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def postgres_base_url() -> str:
    return postgres_url()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = postgres_base_url()
    if not url:
        pytest.skip("PostgreSQL absent : lancez `bash scripts/postgres.sh` (make test le fait)")
    return url


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[object]:
    """A factory of fresh, empty registries in the throwaway cluster: one database for the
    session, one schema per registry (cheap to create), the database dropped at the end."""
    admin = create_engine(_psycopg(postgres_server), isolation_level="AUTOCOMMIT")
    name = f"ardoise_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = postgres_server.rsplit("/", 1)[0] + "/" + name
    db = create_engine(_psycopg(db_url), isolation_level="AUTOCOMMIT")

    def new() -> str:
        schema = f"r_{uuid.uuid4().hex[:12]}"
        with db.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        return f"{db_url}?options=-csearch_path%3D{schema}"

    yield new
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_registry_url(kind: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'scolarite.db'}"
    factory = request.getfixturevalue("postgres_database")
    return str(factory())  # type: ignore[operator]
