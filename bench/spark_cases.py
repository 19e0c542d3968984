"""``make bench-spark``, first half (main venv): the ODSQL case table compiled, run on
DuckDB and transpiled to Spark SQL with sqlglot (issue #17, « au-delà d'une machine »).

Every case of ``tests/query/cases/*.odsql`` and of ``v1.cases`` (v1 parameters, through
``ardoise.query.v1``) is compiled by ``ardoise.query`` exactly as the API compiles it,
then run by ``ardoise.query.engine.Engine`` over the 30-school fixture Parquet
(``tests/query/conftest.py``): those are the DuckDB rows. ``--release DIR`` adds queries
written from the schemas of a real release, over its Parquet (``bench/spark_release.py``).
For Spark, the bound parameters (``$p0``…) are written into the statement as typed
literals (a float stays a DOUBLE, a date a DATE, a polygon's edges a list of structs:
what DuckDB binds), and sqlglot transpiles it (``read="duckdb", write="spark"``,
unsupported constructs raise instead of being written approximately), with the rules of
``bench/spark_dialect.py``. The statement with its literals is run on DuckDB too, so
that a difference from the inlining itself shows as such; an ordered case also gets its
query with the ORDER BY keys appended, to judge ties.

The plan (JSON) goes to ``bench/spark_run.py``, which ``.venv-spark`` runs on a local
Spark session over the same Parquet files and which prints the JSON lines. Cases that
cannot go to Spark stay in the plan with their reason, so that they are counted.

    PYTHONPATH=src .venv/bin/python bench/spark_cases.py [--out plan.json] [--run]
        [--release var/current]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import spark_dialect as dialect  # noqa: E402
from spark_compare import plain  # noqa: E402
from spark_dialect import for_spark, unportable  # noqa: E402
from spark_release import ReleaseCase, release_cases  # noqa: E402

from ardoise.odsql.errors import QueryError  # noqa: E402
from ardoise.odsql.schema import Schema  # noqa: E402
from ardoise.query.compile import compile_records  # noqa: E402
from ardoise.query.engine import Engine  # noqa: E402
from ardoise.query.model import CompiledQuery, RecordsQuery  # noqa: E402
from tests.query.conftest import SCHEMA, TABLE, write_schools  # noqa: E402
from tests.query.test_cases import ALL_CASES, NOW, Case  # noqa: E402
from tests.query.test_v1_cases import CASES as V1_CASES  # noqa: E402
from tests.query.test_v1_cases import v1_query  # noqa: E402

SPARK_PYTHON = ROOT / ".venv-spark" / "bin" / "python"


@dataclass(frozen=True)
class V1Case:
    """A case of ``tests/query/cases/v1.cases``: v1 parameters, translated to ODSQL by
    ``ardoise.query.v1`` as the v1 API does, then compiled like the others."""

    case: Case

    @property
    def id(self) -> str:
        return self.case.id  # "v1:…"

    @property
    def expected(self) -> dict[str, Any]:
        return self.case.expected

    def query(self) -> RecordsQuery:
        return v1_query(self.case, SCHEMA)[0]


def literal(value: Any) -> exp.Expression:
    """A bound parameter as the SQL literal of the type DuckDB binds it to.

    >>> literal(2.5).sql("spark"), literal("l'été").sql("spark")
    ('CAST(2.5 AS DOUBLE)', "'l\\\\'été'")
    >>> literal([{"x1": 3.0}]).sql("spark")
    'ARRAY(STRUCT(CAST(3.0 AS DOUBLE) AS x1))'
    >>> literal(date(1960, 1, 1)).sql("spark")
    "CAST('1960-01-01' AS DATE)"
    """
    if isinstance(value, float):  # a Python float binds as DOUBLE; 2.5 alone is a DECIMAL
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.Type.DOUBLE)
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # aware: a TIMESTAMPTZ, compared in UTC (both sessions)
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
            return exp.cast(exp.Literal.string(text + "+00:00"), exp.DataType.Type.TIMESTAMPTZ)
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    if isinstance(value, dict):
        return exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier(k), expression=literal(v))
                for k, v in value.items()
            ]
        )
    return exp.convert(value)  # str, int, bool, None


def inline(compiled: CompiledQuery) -> exp.Expression:
    """The compiled DuckDB statement parsed by sqlglot, its parameters written in."""
    tree = sqlglot.parse_one(compiled.sql, read="duckdb")

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder | exp.Parameter):
            name = node.name
            if name not in compiled.params:
                raise KeyError(f"paramètre inconnu {name!r}")
            return literal(compiled.params[name])
        return node

    return tree.transform(swap)


def _timed_rows(engine: Engine, compiled: CompiledQuery) -> tuple[list[Any], float]:
    start = time.perf_counter()
    result = engine.run(compiled)
    elapsed = (time.perf_counter() - start) * 1000
    return [plain(list(row)) for row in result.rows], elapsed


def _spark_or_error(tree: exp.Expression, *, without: Collection[str]) -> dict[str, str]:
    try:
        return {"sql": for_spark(tree, without=without)[0]}
    except SqlglotError as err:
        return {"error": str(err).splitlines()[0][:200]}


def plan_case(case: Case | V1Case | ReleaseCase, schema: Schema, engine: Engine) -> dict[str, Any]:
    """One entry of the plan: the Spark SQL and the DuckDB rows, or why it is skipped."""
    entry: dict[str, Any] = {"id": case.id}
    if "error" in case.expected:
        entry["skip"] = "cas d'erreur : l'ODSQL est refusé à la compilation, aucun SQL"
        return entry
    try:
        compiled = compile_records(case.query(), schema, now=NOW)
    except QueryError as err:
        entry["skip"] = f"compilation refusée : {err.message}"
        return entry
    entry["duckdb_rows"], entry["duckdb_ms"] = _timed_rows(engine, compiled)
    assert compiled.count is not None
    entry["duckdb_total"] = engine.count(compiled)
    try:
        tree, count_tree = inline(compiled), inline(compiled.count)
        entry["spark_sql"], rules, udfs = for_spark(tree)
        entry["spark_count_sql"], count_rules, count_udfs = for_spark(count_tree)
    except (SqlglotError, KeyError, ValueError) as err:
        entry["skip"] = f"non transpilable par sqlglot : {str(err).splitlines()[0][:200]}"
        return entry
    entry["ordered"] = tree.args.get("order") is not None
    entry["rewrites"] = sorted(set(rules) | set(count_rules))
    entry["udfs"] = sorted(set(udfs) | set(count_udfs))
    entry["unportable"] = unportable(tree)
    if rules:  # what sqlglot writes alone, and with each rule left out: each is needed?
        entry["without"] = {"sqlglot": _spark_or_error(tree, without=dialect.RULES)}
        for rule in rules:
            entry["without"][rule] = _spark_or_error(tree, without=(rule,))
    inlined = engine.fetch(tree.sql(dialect="duckdb"), {})
    entry["inline_same_on_duckdb"] = [plain(list(r)) for r in inlined.rows] == entry["duckdb_rows"]
    if entry["ordered"]:
        entry.update(_keyed(tree, engine, len(entry["duckdb_rows"])))
    return entry


def keyed(tree: exp.Expression) -> tuple[exp.Expression, int]:
    """``tree`` with its ORDER BY keys appended to the row (``__k0``…), to tell a
    different order from another order among tied rows; a key naming a select alias is
    that select's expression.

    >>> t, n = keyed(sqlglot.parse_one("SELECT a, COUNT(*) AS n FROM t GROUP BY a ORDER BY n DESC, a", read="duckdb"))
    >>> t.sql(dialect="duckdb"), n
    ('SELECT a, COUNT(*) AS n, COUNT(*) AS __k0, a AS __k1 FROM t GROUP BY a ORDER BY n DESC, a', 2)
    """
    tree = tree.copy()
    aliases = {e.alias: e.this for e in tree.expressions if isinstance(e, exp.Alias)}
    keys = [o.this for o in tree.args["order"].expressions]
    for i, key in enumerate(keys):
        named = aliases.get(key.name) if isinstance(key, exp.Column) and not key.table else None
        tree.select(exp.alias_((named or key).copy(), f"__k{i}"), copy=False)
    return tree, len(keys)


def _keyed(tree: exp.Expression, engine: Engine, rows: int) -> dict[str, Any]:
    limit = tree.args.get("limit")
    count = limit.expression if limit is not None else None
    cut = isinstance(count, exp.Literal) and rows == int(count.name)
    try:
        with_keys, keys = keyed(tree)
        spark_sql = for_spark(with_keys)[0]
        duck = engine.fetch(with_keys.sql(dialect="duckdb"), {}).rows
    except (SqlglotError, QueryError) as err:
        return {"keyed_error": str(err).splitlines()[0][:200]}
    return {
        "keyed_sql": spark_sql,
        "keys": keys,
        "cut": cut,  # LIMIT reached: the last tied rows may be others, equally right
        "duckdb_keyed_rows": [plain(list(r)) for r in duck],
    }


def build_plan(parquet: Path, release: Path | None = None) -> dict[str, Any]:
    """The case table over the fixture, then (``release``) the queries of a real release."""
    tables: dict[str, Path] = {TABLE: parquet}
    work: list[tuple[Any, Schema]] = [(case, SCHEMA) for case in ALL_CASES]
    work += [(V1Case(case), SCHEMA) for case in V1_CASES]
    if release is not None:
        release_tables, cases = release_cases(release.resolve())
        tables.update(release_tables)
        work += [(case, case.schema) for case in cases]
    with Engine(tables, memory_limit="1GB", threads=1, time_limit_ms=60000) as engine:
        planned = [plan_case(case, schema, engine) for case, schema in work]
    return {
        "tables": {name: str(path) for name, path in tables.items()},
        "release": None if release is None else str(release.resolve()),
        "sqlglot": sqlglot.__version__,
        "cases": planned,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="écrire le plan ici (défaut : temporaire)")
    parser.add_argument("--run", action="store_true", help="puis lancer bench/spark_run.py")
    parser.add_argument(
        "--release", type=Path, help="aussi les jeux d'une release (ex. var/current)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ardoise-spark-") as tmp:
        out = args.out or Path(tmp) / "plan.json"  # the Parquet file stays beside the plan
        parquet = write_schools(out.resolve().parent / "schools.parquet")
        if args.release is not None and not (args.release / "manifest.json").is_file():
            print(f"bench-spark : pas de release dans {args.release}", file=sys.stderr)
            return 2
        plan = build_plan(parquet, args.release)
        out.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        if not args.run:
            print(json.dumps({"plan": str(out), "cases": len(plan["cases"])}))
            return 0
        if not SPARK_PYTHON.exists():
            print("bench-spark : .venv-spark absent (bash scripts/spark-tools.sh)", file=sys.stderr)
            return 2
        script = ROOT / "bench" / "spark_run.py"
        return subprocess.run([str(SPARK_PYTHON), str(script), str(out)], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
