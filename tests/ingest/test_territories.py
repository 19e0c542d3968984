"""The link columns of a row (ingest/territories.py): the territory the source states comes
first, the commune's only fills a gap (#19: the DEPP files the schools of Saint-Martin and
Saint-Barthélemy under Guadeloupe, 971, and the official totals count them there)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import duckdb
import pytest

from ardoise.catalog.model import Dataset
from ardoise.ingest.territories import hierarchy_select, role_links

# code, département (and for départements: académie, région)
COMMUNES = [("97801", "978"), ("97105", "971"), ("2A004", "2A"), ("35238", "35")]
DEPARTEMENTS = [("978", "32", "978"), ("971", "32", "01"), ("2A", "27", "94"), ("35", "14", "53")]
NAMES = [("departement", "GUADELOUPE", "971"), ("departement", "ILLE ET VILAINE", "35")]


@pytest.fixture
def conn() -> Any:
    c = duckdb.connect()
    c.execute("CREATE TABLE ref_communes (code VARCHAR, departement VARCHAR)")
    c.executemany("INSERT INTO ref_communes VALUES (?, ?)", COMMUNES)
    c.execute("CREATE TABLE ref_departements (code VARCHAR, academie VARCHAR, region VARCHAR)")
    c.executemany("INSERT INTO ref_departements VALUES (?, ?, ?)", DEPARTEMENTS)
    c.execute("CREATE TABLE ref_academies (code VARCHAR, region VARCHAR)")
    c.executemany("INSERT INTO ref_academies VALUES (?, ?)", [("32", "01"), ("27", "94")])
    c.execute("CREATE TABLE ref_codes (niveau VARCHAR, cle VARCHAR, code VARCHAR)")
    rows = [("commune", code, code) for code, _ in COMMUNES]
    rows += [("departement", code, code) for code, _, _ in DEPARTEMENTS]
    c.executemany("INSERT INTO ref_codes VALUES (?, ?, ?)", rows + NAMES)
    yield c
    c.close()


def _linked(conn: Any, territories: dict[str, str], rows: list[tuple[str, ...]]) -> list[Any]:
    # role_links reads only the declared roles of a descriptor
    ds = cast(Dataset, SimpleNamespace(territories=tuple(territories.items())))
    columns = list(territories.values())
    conn.execute(f"CREATE OR REPLACE TABLE t ({', '.join(c + ' VARCHAR' for c in columns)})")
    conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})", rows)
    links, joins = role_links(ds, "s")
    select, more = hierarchy_select(links)
    sql = f"SELECT s.*, {', '.join(select[2:])} FROM t s {' '.join(joins + more)}"
    return sorted(conn.execute(sql).fetchall(), key=lambda r: rows.index(r[: len(columns)]))


def test_the_stated_departement_wins_over_the_communes(conn: Any) -> None:
    rows = _linked(
        conn,
        {"commune": "code_commune", "departement": "code_departement"},
        [("97801", "971"), ("97105", "971"), ("2A004", "620"), ("97801", None), ("35238", "99")],
    )
    assert rows == [
        ("97801", "971", "971", "32", "01"),  # Saint-Martin, filed under Guadeloupe: there
        ("97105", "971", "971", "32", "01"),
        ("2A004", "620", "2A", "27", "94"),  # Corse-du-Sud written 620 by the DEPP
        ("97801", None, "978", "32", "978"),  # no département stated: the commune's
        ("35238", "99", "35", "14", "53"),  # a code unknown to the referential: the commune's
    ]


def test_a_stated_departement_name_wins_too(conn: Any) -> None:
    rows = _linked(
        conn,
        {"commune": "code_commune", "departement_nom": "departement"},
        [("97801", "GUADELOUPE"), ("97801", "")],
    )
    assert rows == [
        ("97801", "GUADELOUPE", "971", "32", "01"),
        ("97801", "", "978", "32", "978"),
    ]
