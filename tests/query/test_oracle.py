"""Cross-check: where clauses against plain-Python predicates over the fixture rows.

The case files pin the SQL; this file checks the *answers* against an independent
implementation written with the fixture's Python data, so that a golden file regenerated
from a buggy compiler would still be caught.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.engine import Engine
from ardoise.query.model import RecordsQuery

Row = dict[str, Any]


def fold(text: str | None) -> str:
    if text is None:
        return ""
    return "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c)
    )


def metres(row: Row, lon: float, lat: float) -> float:
    p = row["position"]
    if p is None:
        return math.inf
    dlat, dlon = math.radians(p["lat"] - lat), math.radians(p["lon"] - lon)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(lat)) * math.cos(math.radians(p["lat"])) * math.sin(dlon / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def texts(row: Row) -> list[str]:
    return [fold(row[k]) for k in ("uai", "nom", "academie", "departement", "secteur")]


def gt(value: Any, bound: Any) -> bool:
    return value is not None and value > bound


ORACLES: list[tuple[str, Callable[[Row], bool]]] = [
    ('academie = "Lyon"', lambda r: r["academie"] == "Lyon"),
    ('academie != "Lyon"', lambda r: r["academie"] is not None and r["academie"] != "Lyon"),
    ("ips > 100", lambda r: gt(r["ips"], 100)),
    ("ips <= 80 or ips is null", lambda r: r["ips"] is None or r["ips"] <= 80),
    (
        'not (academie = "Paris" or academie = "Lille")',
        lambda r: r["academie"] not in (None, "Paris", "Lille"),
    ),
    (
        'secteur = "public" and (ips < 80 or effectif > 1000)',
        lambda r: (
            r["secteur"] == "public"
            and ((r["ips"] is not None and r["ips"] < 80) or gt(r["effectif"], 1000))
        ),
    ),
    (
        'academie in ("Lyon", "Grenoble") and not rep',
        lambda r: r["academie"] in ("Lyon", "Grenoble") and r["rep"] is False,
    ),
    ("rep is not true", lambda r: r["rep"] is not True),
    ("effectif % 100 = 0", lambda r: r["effectif"] is not None and r["effectif"] % 100 == 0),
    ("effectif / 4 > 400", lambda r: r["effectif"] is not None and r["effectif"] / 4 > 400),
    ("ips * 2 - 50 > 200", lambda r: gt(r["ips"], 125)),
    ('"lycee"', lambda r: any("lycee" in t for t in texts(r))),
    ('"ecole privee"', lambda r: all(any(w in t for t in texts(r)) for w in ("ecole", "privee"))),
    ('"saint" or "notre"', lambda r: any("saint" in t or "notre" in t for t in texts(r))),
    ('search(nom, "col")', lambda r: "col" in fold(r["nom"])),
    ('suggest(nom, "jean j")', lambda r: "jean j" in fold(r["nom"])),
    ('startswith(uai, "06")', lambda r: r["uai"].startswith("06")),
    ('nom like "*ee"', lambda r: fold(r["nom"]).endswith("ee")),
    (
        'nom like "ecole*moulin"',
        lambda r: fold(r["nom"]).startswith("ecole") and fold(r["nom"]).endswith("moulin"),
    ),
    ('nom not like "college"', lambda r: "college" not in fold(r["nom"])),
    (
        "year(date_ouverture) < 1900",
        lambda r: r["date_ouverture"] is not None and r["date_ouverture"].year < 1900,
    ),
    (
        "date_ouverture >= date'1950' and date_ouverture < date'1970-01-01'",
        lambda r: (
            r["date_ouverture"] is not None
            and date(1950, 1, 1) <= r["date_ouverture"] < date(1970, 1, 1)
        ),
    ),
    (
        "maj < date'2023-03-01T00:00:00Z'",
        lambda r: r["maj"] is not None and r["maj"] < datetime(2023, 3, 1),
    ),
    ("month(maj) = 1", lambda r: r["maj"] is not None and r["maj"].month == 1),
    ("length(nom) > 25", lambda r: len(r["nom"]) > 25),
    ('lower(secteur) = "privé"', lambda r: r["secteur"] == "privé"),
    ("ifnull(effectif, 0) < 200", lambda r: (r["effectif"] or 0) < 200),
    (
        "within_distance(position, geom'POINT(4.84 45.76)', 3km)",
        lambda r: metres(r, 4.84, 45.76) <= 3000,
    ),
    (
        "within_distance(position, geom'POINT(3.06 50.63)', 40km)",
        lambda r: metres(r, 3.06, 50.63) <= 40_000,
    ),
    (
        "in_bbox(position, 43, 4, 46, 6)",
        lambda r: (
            r["position"] is not None
            and 43 <= r["position"]["lat"] <= 46
            and 4 <= r["position"]["lon"] <= 6
        ),
    ),
    (
        "within(position, geom'POLYGON((4 45, 5 45, 5 46, 4 46, 4 45))')",
        lambda r: (
            r["position"] is not None
            and 4 < r["position"]["lon"] < 5
            and 45 < r["position"]["lat"] < 46
        ),
    ),
    (
        "disjoint(position, geom'POLYGON((4 45, 5 45, 5 46, 4 46, 4 45))')",
        lambda r: (
            r["position"] is not None
            and not (4 < r["position"]["lon"] < 5 and 45 < r["position"]["lat"] < 46)
        ),
    ),
]


@pytest.mark.parametrize(("where", "predicate"), ORACLES, ids=[w for w, _ in ORACLES])
def test_where_matches_python(
    where: str, predicate: Callable[[Row], bool], schema: Schema, engine: Engine, schools: list[Row]
) -> None:
    compiled = compile_records(RecordsQuery(select="uai", where=where, limit=100), schema)
    got = [row[0] for row in engine.run(compiled).rows]
    expected = [row["uai"] for row in schools if predicate(row)]
    assert got == expected
    assert engine.count(compiled) == len(expected)


def test_grouped_answers_match_python(schema: Schema, engine: Engine, schools: list[Row]) -> None:
    compiled = compile_records(
        RecordsQuery(
            select="academie, count(*) as n, sum(effectif) as e, avg(ips) as m",
            group_by="academie",
            order_by="academie",
            limit=100,
        ),
        schema,
    )
    got = {row[0]: row[1:] for row in engine.run(compiled).rows}
    for academie in {r["academie"] for r in schools}:
        rows = [r for r in schools if r["academie"] == academie]
        ips = [r["ips"] for r in rows if r["ips"] is not None]
        effectifs = [r["effectif"] for r in rows if r["effectif"] is not None]
        n, e, m = got[academie]
        assert n == len(rows)
        assert e == (sum(effectifs) if effectifs else None)  # SQL: the sum of nothing is null
        assert m == pytest.approx(sum(ips) / len(ips))


def test_pages_cover_every_row_once(schema: Schema, engine: Engine, schools: list[Row]) -> None:
    seen: list[str] = []
    for offset in range(0, 30, 7):
        compiled = compile_records(
            RecordsQuery(select="uai", order_by="uai", limit=7, offset=offset), schema
        )
        seen += [row[0] for row in engine.run(compiled).rows]
    assert seen == sorted(r["uai"] for r in schools)
