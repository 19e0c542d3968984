"""The in-memory index of indicator values gives exactly the rows a SQL scan of
``valeurs.parquet`` gives, for every territory and every (indicator, level, year)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ardoise.query.indicator_index import COLUMNS, index_for


def _scan(release: Path, where: str, order: str) -> dict[tuple[str, ...], list[tuple[object, ...]]]:
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT {where}, {', '.join(COLUMNS)} FROM read_parquet($p) ORDER BY {order}",
            {"p": str(release / "indicators" / "valeurs.parquet")},
        ).fetchall()
    finally:
        con.close()
    width = where.count(",") + 1
    out: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
    for row in rows:
        out.setdefault(tuple(row[:width]), []).append(tuple(row[width:]))
    return out


def _tuples(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [tuple(r[c] for c in COLUMNS) for r in rows]


def test_every_territory(ind_release: Path) -> None:
    expected = _scan(ind_release, "niveau, code", "niveau, code, indicateur, annee_scolaire")
    index = index_for(ind_release)
    assert len(expected) > 10
    assert set(index.territories) == set(expected)
    for (niveau, code), rows in expected.items():
        assert _tuples(index.territory_rows(niveau, code)) == rows, (niveau, code)


def test_every_map(ind_release: Path) -> None:
    expected = _scan(
        ind_release,
        "indicateur, niveau, annee_scolaire",
        "indicateur, niveau, annee_scolaire, code",
    )
    index = index_for(ind_release)
    assert set(index.maps) == set(expected)
    for (indicateur, niveau, annee), rows in expected.items():
        assert _tuples(index.map_rows(indicateur, niveau, annee)) == rows


@pytest.mark.parametrize("key", [("commune", "00000"), ("nulle-part", "1")])
def test_unknown_keys_have_no_rows(ind_release: Path, key: tuple[str, str]) -> None:
    index = index_for(ind_release)
    assert index.territory_rows(*key) == []
    assert index.map_rows("inconnu", *key) == []


def test_release_without_values(tmp_path: Path) -> None:
    index = index_for(tmp_path)
    assert index.territories == {} and index.territory_rows("region", "84") == []


def test_map_within_a_parent(ind_release: Path) -> None:
    expected = _scan(
        ind_release,
        "indicateur, niveau, annee_scolaire, academie",
        "indicateur, niveau, annee_scolaire, academie, code",
    )
    index = index_for(ind_release)
    checked = 0
    for (indicateur, niveau, annee, academie), rows in expected.items():
        if academie is None:
            continue
        got = index.map_rows(indicateur, niveau, annee, ("academie", academie))
        assert _tuples(got) == rows
        checked += 1
    assert checked > 5
