"""Deterministic fuzzing: random clauses built from ODSQL fragments and stray characters.

The only acceptable outcomes are "compiles and runs" or a QueryError — never another
exception (a ValueError escaping the compiler would be an HTTP 500).
"""

from __future__ import annotations

import random

import pytest

from ardoise.odsql.errors import QueryError
from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.engine import Engine
from ardoise.query.model import RecordsQuery

FRAGMENTS = [
    "uai",
    "nom",
    "academie",
    "ips",
    "effectif",
    "date_ouverture",
    "position",
    "rep",
    "maj",
    "contour",
    "`ips`",
    "`and`",
    "and",
    "or",
    "not",
    "in",
    "like",
    "is",
    "null",
    "true",
    "false",
    "as",
    "asc",
    "desc",
    "distinct",
    "(",
    ")",
    ",",
    "*",
    "+",
    "-",
    "/",
    "%",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    ":",
    "1",
    "0",
    "-3",
    "2.5",
    "1e3",
    "1e999",
    "99999999999999999999",
    "'x'",
    '"Lyon"',
    "'é'",
    '"a\'b"',
    "'\\u00e9'",
    "'\\x41'",
    "date'2020'",
    "date'2020-02-30'",
    "date'2020/01/02T03:04'",
    "geom'POINT(2 48)'",
    "geom'POLYGON((2 48, 3 48, 3 49, 2 48))'",
    'geom\'{"type": "Point"}\'',
    "5km",
    "3 mi",
    "1 month",
    "count(",
    "count(*)",
    "sum(",
    "avg(",
    "min(",
    "max(",
    "median(",
    "percentile(",
    "year(",
    "month(",
    "hour(",
    "date_format(",
    "now(",
    "now(days=-1)",
    "lower(",
    "upper(",
    "length(",
    "ifnull(",
    "search(",
    "suggest(",
    "startswith(",
    "within_distance(",
    "in_bbox(",
    "intersects(",
    "within(",
    "disjoint(",
    "distance(",
    "envelope(",
    "range(",
    "random(",
    "include(",
    "exclude(",
    "geo_cluster(",
    "foo(",
    ";",
    "--",
    "/*",
    "'",
    '"',
    "`",
    "\x00",
    "\x1b",
    "²",
    "١",
    "\u00a0",
    "\ud800",
    "é",
    "$p0",
    "?",
    "[",
    "]",
    "{",
    "}",
    "\\",
]


def _clauses(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12))]
        out.append(" ".join(parts) if rng.random() < 0.8 else "".join(parts))
    return out


def _query(clause: str, text: str) -> RecordsQuery:
    return {
        "where": RecordsQuery(where=text),
        "select": RecordsQuery(select=text),
        "group_by": RecordsQuery(group_by=text),
        "order_by": RecordsQuery(order_by=text),
    }[clause]


def _outcome(query: RecordsQuery, schema: Schema, engine: Engine) -> str:
    try:
        compiled = compile_records(query, schema)
    except QueryError:
        return "refused"
    try:
        engine.run(compiled, time_limit_ms=2000)
    except QueryError:  # runtime errors (overflow…) are mapped too
        return "runtime"
    return "ran"


@pytest.mark.parametrize("clause", ["where", "select", "group_by", "order_by"])
def test_random_clauses_only_raise_query_errors(
    clause: str, schema: Schema, engine: Engine
) -> None:
    outcomes: dict[str, int] = {}
    for text in _clauses(seed=sum(map(ord, clause)), count=600):
        result = _outcome(_query(clause, text), schema, engine)
        outcomes[result] = outcomes.get(result, 0) + 1
    assert outcomes.get("refused", 0) > 0


def test_random_well_formed_wheres(schema: Schema, engine: Engine) -> None:
    """Grammatical random predicates: most must compile and run."""
    rng = random.Random(2024)
    atoms = [
        'academie = "Lyon"',
        "ips > 90",
        "rep",
        "effectif in (210, 540)",
        'nom like "col*"',
        "ips is null",
        '"lycee"',
        "year(date_ouverture) < 1950",
        "not rep",
        "within_distance(position, geom'POINT(2.35 48.85)', 10km)",
        "effectif % 3 = 0",
    ]
    ran = 0
    for _ in range(100):
        expr = rng.choice(atoms)
        for _ in range(rng.randint(0, 5)):
            op = rng.choice([" and ", " or "])
            expr = f"({expr}){op}{rng.choice(['not ', ''])}{rng.choice(atoms)}"
        ran += _outcome(RecordsQuery(where=expr, select="uai", limit=100), schema, engine) == "ran"
    assert ran == 100
