"""Table-driven ODSQL cases: tests/query/cases/*.odsql (sqlglot-style fixture pairs).

Each case gives the API parameters, then after ``---`` either the expected SQL, parameters,
column names, ``total_count`` and rows over the 30-school fixture, or the expected error
class, column and message. Every compiled statement is also executed on DuckDB, which
proves the SQL valid.

Outputs can be regenerated (then reviewed as a diff) with::

    .venv/bin/python tests/query/test_cases.py regen
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ardoise.odsql import errors
from ardoise.odsql.errors import QueryError
from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.engine import Engine
from ardoise.query.model import CompiledQuery, RecordsQuery

CASES_DIR = Path(__file__).parent / "cases"
NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
_LIST_KEYS = ("where", "refine", "exclude")


@dataclass
class Case:
    file: str
    name: str
    inputs: dict[str, list[str]] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.name}"

    def query(self) -> RecordsQuery:
        one = {k: v[-1] for k, v in self.inputs.items()}

        def pairs(key: str) -> tuple[tuple[str, str], ...]:
            return tuple(tuple(v.split(":", 1)) for v in self.inputs.get(key, ()))  # type: ignore[misc]

        return RecordsQuery(
            select=one.get("select"),
            where=tuple(self.inputs.get("where", ())) or None,
            group_by=one.get("group_by"),
            order_by=one.get("order_by"),
            limit=int(one["limit"]) if "limit" in one else None,
            offset=int(one["offset"]) if "offset" in one else None,
            refine=pairs("refine"),
            exclude=pairs("exclude"),
            lang=one.get("lang"),
            timezone=one.get("timezone"),
        )


def load(path: Path) -> list[Case]:
    cases: list[Case] = []
    defaults: dict[str, list[str]] = {}
    current: Case | None = None
    section = "in"
    rows: list[Any] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip("\n")
        if line.startswith("== "):
            current = Case(path.stem, line[3:].strip())
            section, rows = "in", None
            if current.name == "defaults":
                defaults = current.inputs
            else:
                cases.append(current)
            continue
        if current is None or (section == "in" and (line.startswith("#") or not line.strip())):
            continue
        if line == "---":
            section = "out"
            continue
        if section == "in":
            key, _, value = line.partition(": ")
            current.inputs.setdefault(key, []).append(value)
        elif rows is not None and line.startswith("["):
            rows.append(json.loads(line))
        elif line.strip():
            key, _, value = line.partition(":")
            value = value.strip()
            if key == "rows":
                rows = current.expected["rows"] = []
            elif key in ("params", "columns", "total", "col"):
                current.expected[key] = json.loads(value)
            else:
                current.expected[key] = value
    for case in cases:
        for key, values in defaults.items():
            if key not in case.inputs:
                case.inputs[key] = list(values)
    return cases


ALL_CASES = [case for path in sorted(CASES_DIR.glob("*.odsql")) for case in load(path)]


def plain(value: Any) -> Any:
    """JSON-friendly form of a parameter or cell (typed tags for dates)."""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def compile_case(case: Case, schema: Schema) -> CompiledQuery:
    return compile_records(case.query(), schema, now=NOW)


def observe(case: Case, schema: Schema, engine: Engine) -> dict[str, Any]:
    """What the implementation does with ``case``: its output section, as data."""
    try:
        compiled = compile_case(case, schema)
    except QueryError as err:
        return {"error": type(err).__name__, "col": err.col, "message": err.message}
    return outcome(compiled, engine)


def outcome(compiled: CompiledQuery, engine: Engine) -> dict[str, Any]:
    """A compiled query and what it gives on ``engine``, as data."""
    result = engine.run(compiled)
    assert list(result.columns) == [c.name for c in compiled.columns]
    return {
        "sql": compiled.sql,
        "params": plain(compiled.params),
        "columns": [c.name for c in compiled.columns],
        "total": engine.count(compiled),
        "rows": [plain(list(row)) for row in result.rows],
    }


def dump(observed: dict[str, Any]) -> list[str]:
    if "error" in observed:
        return [
            f"error: {observed['error']}",
            f"col: {json.dumps(observed['col'])}",
            f"message: {observed['message']}",
        ]
    lines = [
        f"sql: {observed['sql']}",
        f"params: {json.dumps(observed['params'], ensure_ascii=False)}",
        f"columns: {json.dumps(observed['columns'], ensure_ascii=False)}",
        f"total: {observed['total']}",
        "rows:",
    ]
    lines += [json.dumps(row, ensure_ascii=False) for row in observed["rows"]]
    return lines


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_case(case: Case, schema: Schema, engine: Engine) -> None:
    assert case.expected, f"{case.id} has no expected output; run the regen command"
    if "error" in case.expected:
        with pytest.raises(QueryError) as info:
            compile_case(case, schema)
        err = info.value
        assert type(err) is getattr(errors, case.expected["error"])
        assert err.col == case.expected["col"]
        assert err.message == case.expected["message"]
        assert err.error_code in ("ODSQLError", "InvalidRESTParameterError")
        return
    compiled = compile_case(case, schema)
    assert compiled.sql == case.expected["sql"]
    assert plain(compiled.params) == case.expected["params"]
    assert [c.name for c in compiled.columns] == case.expected["columns"]
    # Safety invariants: no string literal and no stray placeholder in the SQL.
    for q in (compiled, compiled.count):
        assert q is not None
        assert "'" not in q.sql and ";" not in q.sql
        assert set(re.findall(r"\$(p\d+)", q.sql)) == set(q.params)
    result = engine.run(compiled)
    assert [plain(list(row)) for row in result.rows] == case.expected["rows"]
    assert engine.count(compiled) == case.expected["total"]


def test_there_are_enough_cases() -> None:
    assert len(ALL_CASES) >= 150
    assert sum("error" in c.expected for c in ALL_CASES) >= 40


def regenerate(
    path: Path,
    schema: Schema,
    engine: Engine,
    output: Callable[[Case], list[str]] | None = None,
) -> str:
    """The case file with every output section replaced by what the code does now
    (``output`` of a case; by default the compiled ODSQL, dumped)."""
    by_name = {c.name: c for c in load(path)}
    out: list[str] = []
    render = output or (lambda case: dump(observe(case, schema, engine)))

    def close(name: str | None) -> None:
        while out and out[-1] == "":
            out.pop()
        if name in by_name:
            out.extend(["---", *render(by_name[name])])
        out.append("")

    name: str | None = None
    skipping = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("== "):
            if name is not None:
                close(name)
            name, skipping = line[3:].strip(), False
        elif line == "---" or skipping:
            skipping = True
            continue
        out.append(line)
    close(name)
    return "\n".join(out).rstrip("\n") + "\n"


def _regen() -> None:  # pragma: no cover - developer tool
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import SCHEMA, TABLE, write_schools

    with tempfile.TemporaryDirectory() as tmp:
        parquet = write_schools(Path(tmp) / "schools.parquet")
        with Engine({TABLE: parquet}) as engine:
            for path in sorted(CASES_DIR.glob("*.odsql")):
                path.write_text(regenerate(path, SCHEMA, engine), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["regen"]:
        _regen()
