"""Fixtures of the indicator tests: a small release built by the real pipeline, and an app
serving it with the indicators router; and the real release's published values, read by
``test_mirror.py`` and ``test_official_figures.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.fixtures import sample_release
from tests.indicators import sample


def app_with_indicators(settings: Settings) -> FastAPI:
    """The app as served: ``create_app`` mounts the indicators router."""
    app = create_app(settings)
    assert "/api/v1/indicateurs" in app.openapi()["paths"]
    return app


@pytest.fixture(scope="session")
def ind_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return sample_release(tmp_path_factory.mktemp("indicators"), sample)


@pytest.fixture(scope="session")
def ind_release(ind_settings: Settings) -> Path:
    return (ind_settings.var_dir / "current").resolve()


@pytest.fixture(scope="session")
def ind_client(ind_settings: Settings) -> Iterator[TestClient]:
    with TestClient(app_with_indicators(ind_settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def values(ind_release: Path) -> dict[tuple[str, str, str, str], tuple[object, ...]]:
    """(indicateur, niveau, code, année) → (valeur, base, statut, numerateur, denominateur)."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT indicateur, niveau, code, annee_scolaire, valeur, base, statut, numerateur, "
            "denominateur FROM read_parquet($p)",
            {"p": str(ind_release / "indicators" / "valeurs.parquet")},
        ).fetchall()
    finally:
        con.close()
    return {(r[0], r[1], r[2], r[3]): tuple(r[4:]) for r in rows}


Key = tuple[str, str, str]  # (niveau, code, année scolaire)


@pytest.fixture(scope="session")
def real_release(real_settings: Settings) -> Path:
    return (real_settings.var_dir / "current").resolve()


@pytest.fixture(scope="session")
def published(real_release: Path) -> dict[str, dict[Key, tuple[Any, ...]]]:
    con = duckdb.connect()
    rows = con.execute(
        "SELECT indicateur, niveau, code, annee_scolaire, valeur, base, statut "
        "FROM read_parquet($p)",
        {"p": str(real_release / "indicators" / "valeurs.parquet")},
    ).fetchall()
    con.close()
    out: dict[str, dict[Key, tuple[Any, ...]]] = {}
    for ind, level, code, year, value, base, status in rows:
        out.setdefault(ind, {})[(level, code, year)] = (value, base, status)
    return out
