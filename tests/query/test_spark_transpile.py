"""``make bench-spark`` without Java (issue #17): what its two halves compute in the main
venv holds — the parameters written into the SQL keep DuckDB's rows, every case of the
table transpiles, the Spark SQL names no DuckDB-only function, the accent UDF is DuckDB's
``strip_accents``, and the comparison's normalisations (bench/spark_compare.py) are the
ones it says. The Spark run itself is the bench (not in CI)."""

from __future__ import annotations

import doctest
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.engine import Engine

from .conftest import SCHEMA, SCHOOLS
from .test_cases import ALL_CASES, NOW

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # the bench modules import each other by name
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


compare_mod = _load("spark_compare")
dialect = _load("spark_dialect")
cases_mod = _load("spark_cases")
release_mod = _load("spark_release")
RUNNABLE = [c for c in ALL_CASES if "error" not in c.expected]
V1_RUNNABLE = [cases_mod.V1Case(c) for c in cases_mod.V1_CASES if "error" not in c.expected]
# DuckDB functions Spark does not have (or has with another meaning): none may reach Spark
DUCKDB_ONLY = ("LIST_EXTRACT", "LIST_FILTER", "TIMEZONE", "QUANTILE_CONT", "ISODOW", "STRFTIME")


@pytest.mark.parametrize(
    "module", [compare_mod, dialect, cases_mod, release_mod], ids=lambda m: m.__name__
)
def test_bench_docstring_examples(module: ModuleType) -> None:
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0


def test_the_table_has_cases_to_run() -> None:
    assert len(RUNNABLE) >= 150


@pytest.mark.parametrize("case", RUNNABLE + V1_RUNNABLE, ids=[c.id for c in RUNNABLE + V1_RUNNABLE])
def test_inlined_parameters_keep_duckdbs_rows(case: Any, schema: Schema, engine: Engine) -> None:
    compiled = compile_records(case.query(), schema, now=NOW)
    tree = cases_mod.inline(compiled)
    assert "$" not in tree.sql(dialect="duckdb")
    inlined = engine.fetch(tree.sql(dialect="duckdb"), {})
    assert inlined.rows == engine.run(compiled).rows
    spark_sql, rules, udfs = dialect.for_spark(tree)
    assert set(rules) <= set(dialect.RULES) and set(udfs) <= set(dialect.UDFS)
    named = set(re.findall(r"\b([A-Z_]+)\(", spark_sql))
    assert not named & set(DUCKDB_ONLY), spark_sql


def test_strip_accents_is_duckdbs() -> None:
    words = [s["nom"] for s in SCHOOLS] + ["Œuvre Ñandú ÇA", "ﬁn — « déjà »", "ǅemal", ""]
    con = duckdb.connect()
    for word in words:
        ours = compare_mod.strip_accents(word)
        assert ours == con.execute("SELECT strip_accents(?)", [word]).fetchone()[0], word


def test_order_is_normalised_only_without_order_by() -> None:
    rows, swapped = [[1, "a"], [2, "b"]], [[2, "b"], [1, "a"]]
    assert compare_mod.compare(rows, swapped, ordered=False).equal
    assert not compare_mod.compare(rows, swapped, ordered=True).equal


def test_float_tolerance_is_relative_and_small() -> None:
    assert compare_mod.compare([[100.0]], [[100.0 + 1e-8]], ordered=True).equal
    assert not compare_mod.compare([[100.0]], [[100.0001]], ordered=True).equal
    assert not compare_mod.compare([[None]], [[0.0]], ordered=True).equal
    assert not compare_mod.compare([[2]], [[2.0]], ordered=True).equal


def test_isodow_is_not_sqlglots_off_by_one() -> None:
    """sqlglot writes DuckDB's ISODOW as ``(DAYOFWEEK(x) % 7) + 1``, Saturday 1 on Spark
    (whose DAYOFWEEK counts Sunday 1 … Saturday 7); the rule writes ``WEEKDAY(x) + 1``."""
    tree = dialect.sqlglot.parse_one("SELECT ISODOW(d) FROM t", read="duckdb")
    assert "DAYOFWEEK" in tree.sql(dialect="spark")  # sqlglot alone: the formula above
    assert dialect.for_spark(tree)[0] == "SELECT (WEEKDAY(d) + 1) FROM t"


def test_release_queries_compile_and_keep_rows(engine: Engine) -> None:
    """The queries written from a schema (``--release``) compile, and their answer is
    defined: each is a single row, or ordered by every field it shows."""
    written = release_mod.queries(SCHEMA)
    assert set(written) == {"count", "records", "group", "search", "stats", "year"}
    for kind, request in written.items():
        compiled = compile_records(request, SCHEMA, now=NOW)
        rows = engine.run(compiled).rows
        assert rows, kind
        tree = cases_mod.inline(compiled)
        assert engine.fetch(tree.sql(dialect="duckdb"), {}).rows == rows
        if kind in ("records", "group", "year"):
            assert tree.args.get("order") is not None, kind


def test_an_instant_is_compared_in_utc_a_naive_time_as_is() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    paris = timezone(timedelta(hours=2))
    aware = compare_mod.plain([datetime(2022, 5, 27, 0, 0, tzinfo=paris)])
    assert aware == compare_mod.plain([datetime(2022, 5, 26, 22, 0)])
    assert aware == compare_mod.plain([datetime(2022, 5, 26, 22, 0, tzinfo=UTC)])
    assert aware != compare_mod.plain([datetime(2022, 5, 27, 0, 0)])


def test_ties_are_the_only_order_forgiven() -> None:
    same_up_to_ties = compare_mod.same_up_to_ties
    duck = [["a", 210], ["b", 210], ["c", 300]]
    assert same_up_to_ties(duck, [["b", 210], ["a", 210], ["c", 300]], keys=1, cut=False).equal
    # another row in a tie that LIMIT did not cut, or keys out of order: a difference
    assert not same_up_to_ties(duck, [["b", 210], ["z", 210], ["c", 300]], keys=1, cut=False).equal
    assert not same_up_to_ties(duck, [["c", 300], ["a", 210], ["b", 210]], keys=1, cut=False).equal


def _ordered(case: Any) -> bool:
    return "ORDER BY" in compile_records(case.query(), SCHEMA, now=NOW).sql


ORDERED = [c for c in RUNNABLE + V1_RUNNABLE if _ordered(c)]


def test_many_cases_are_ordered() -> None:
    assert len(ORDERED) >= 40


@pytest.mark.parametrize("case", ORDERED, ids=[c.id for c in ORDERED])
def test_keys_appended_keep_the_rows(case: Any, schema: Schema, engine: Engine) -> None:
    """The ORDER BY keys appended to an ordered case's row change neither its rows nor
    their order (DuckDB); and the keyed query transpiles."""
    tree = cases_mod.inline(compile_records(case.query(), schema, now=NOW))
    with_keys, keys = cases_mod.keyed(tree)
    rows = [list(r) for r in engine.fetch(tree.sql(dialect="duckdb"), {}).rows]
    keyed = [list(r) for r in engine.fetch(with_keys.sql(dialect="duckdb"), {}).rows]
    assert [r[:-keys] for r in keyed] == rows
    dialect.for_spark(with_keys)
