"""Table-driven cases of the v1 parameters: tests/query/cases/v1.cases.

Each case gives v1 parameters (``q``, ``sort``, ``geofilter.distance``,
``geofilter.polygon``, ``refine.F``, ``exclude.F``, ``rows``, ``start``), then after
``---`` the ODSQL they become (``where``, ``order_by``, ``window``), and that query compiled
and run over the 30-school fixture (SQL, parameters, columns, ``total_count``, rows) as in
``test_cases.py``; or the expected error class, column and message. The format is the one
of the ``.odsql`` files, read by the same ``load``.

Outputs can be regenerated (then reviewed as a diff) with::

    .venv/bin/python -m tests.query.test_v1_cases regen
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ardoise.odsql.errors import QueryError
from ardoise.odsql.schema import Schema
from ardoise.query import v1
from ardoise.query.compile import compile_records
from ardoise.query.engine import Engine
from ardoise.query.model import RecordsQuery
from tests.query.test_cases import NOW, Case, load, outcome, regenerate

CASES_FILE = Path(__file__).parent / "cases" / "v1.cases"
CASES = load(CASES_FILE)


def _prefixed(case: Case, prefix: str) -> dict[str, list[str]]:
    return {k[len(prefix) :]: v for k, v in case.inputs.items() if k.startswith(prefix)}


def v1_query(case: Case, schema: Schema) -> tuple[RecordsQuery, dict[str, Any]]:
    """The ODSQL query the v1 parameters of ``case`` become, and its window if any
    (also used by bench/spark_cases.py, which runs the v1 cases on Spark)."""
    one = {k: v[-1] for k, v in case.inputs.items()}
    out: dict[str, Any] = {}
    query = v1.records_query(
        schema,
        q=one.get("q"),
        sort=case.inputs.get("sort"),
        refine=_prefixed(case, "refine."),
        exclude=_prefixed(case, "exclude."),
        distance=one.get("geofilter.distance"),
        polygon=one.get("geofilter.polygon"),
    )
    query = replace(query, select=one.get("select"), limit=int(one.get("limit", 100)))
    if "rows" in one or "start" in one:
        rows, start = v1.window(one.get("rows"), one.get("start"))
        out["window"] = [rows, start]
        query = replace(query, limit=rows, offset=start)
    return query, out


def observe(case: Case, schema: Schema, engine: Engine) -> dict[str, Any]:
    """What the v1 translation and the query layer do with ``case``, as data."""
    try:
        query, out = v1_query(case, schema)
        if query.where is not None:
            out["where"] = " and ".join(query.where_clauses)
        if query.order_by is not None:
            out["order_by"] = query.order_by
        compiled = compile_records(query, schema, now=NOW)
    except QueryError as err:
        return {"error": type(err).__name__, "col": err.col, "message": err.message}
    return {**out, **outcome(compiled, engine)}


def dump(observed: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in observed.items():
        if key == "rows":
            lines.append("rows:")
            lines += [json.dumps(row, ensure_ascii=False) for row in value]
        elif key in ("where", "order_by", "sql", "error", "message"):
            lines.append(f"{key}: {value}")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return lines


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_v1_case(case: Case, schema: Schema, engine: Engine) -> None:
    assert case.expected, f"{case.id} has no expected output; run the regen command"
    expected = dict(case.expected)
    if "window" in expected:
        expected["window"] = json.loads(expected["window"])
    observed = observe(case, schema, engine)
    assert observed == expected
    if "sql" in observed:  # the translation never leaves a literal in the SQL
        assert "'" not in observed["sql"] and ";" not in observed["sql"]


def test_there_are_enough_v1_cases() -> None:
    assert len(CASES) >= 60
    assert sum("error" in c.expected for c in CASES) >= 10


def _regen() -> None:  # pragma: no cover - developer tool
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import SCHEMA, TABLE, write_schools

    with tempfile.TemporaryDirectory() as tmp:
        parquet = write_schools(Path(tmp) / "schools.parquet")
        with Engine({TABLE: parquet}) as engine:
            text = regenerate(
                CASES_FILE, SCHEMA, engine, lambda case: dump(observe(case, SCHEMA, engine))
            )
            CASES_FILE.write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["regen"]:
        _regen()
