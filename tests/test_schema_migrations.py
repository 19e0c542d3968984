"""The tables the code declares (``schema.py``) are the ones its migrations build: alembic's
own comparison finds no difference, for the enrolment registry and for the control plane,
on SQLite and on PostgreSQL. A column, an index or a table added on one side only fails
here (the registry's index on its tokens' habilitation was named differently on each)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData

import ardoise.controlplane
import ardoise.scolarite
from ardoise.controlplane import database as cp_database
from ardoise.controlplane import schema as cp_schema
from ardoise.scolarite import database as sc_database
from ardoise.scolarite import schema as sc_schema
from tests.deploy.cluster import postgres_database
from tests.postgres import postgres_url

VERSION_TABLES = {"alembic_version", "cp_alembic_version"}  # alembic's own


def _import_all(package: ModuleType) -> None:
    """Every module of ``package``: tables declared outside ``schema.py`` are seen too."""
    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "migrations":
            importlib.import_module(f"{package.__name__}.{info.name}")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    if request.param == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / name}.db"
        return
    server = postgres_url()
    if not server:
        pytest.skip("PostgreSQL absent (ARDOISE_TEST_POSTGRES_URL)")
    with postgres_database(server) as database:
        yield lambda _name: database.replace("postgresql://", "postgresql+psycopg://", 1)


def _differences(engine: Engine, metadata: MetaData) -> list[Any]:
    with engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), metadata)
    return [d for d in found if not (d[0] == "remove_table" and d[1].name in VERSION_TABLES)]


DATABASES = {  # the package, its database module, its schema
    "registre": (ardoise.scolarite, sc_database, sc_schema),
    "plan_de_controle": (ardoise.controlplane, cp_database, cp_schema),
}


@pytest.mark.parametrize("name", sorted(DATABASES))
def test_the_schema_is_what_the_migrations_build(name: str, url: Callable[[str], str]) -> None:
    package, database, schema = DATABASES[name]
    _import_all(package)
    engine = database.make_engine(url(name))
    try:
        database.migrate(engine)
        assert _differences(engine, schema.metadata) == []
    finally:
        engine.dispose()
