"""Hostile inputs: each must be refused by the parser/compiler with a QueryError subclass,
without DuckDB ever being called; the few that are valid ODSQL must compile to harmless,
fully parameterised SQL, which is then executed to prove it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ardoise.odsql import limits, parser
from ardoise.odsql.errors import QueryError
from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.engine import Engine
from ardoise.query.model import RecordsQuery

STATEMENTS = [
    "DROP TABLE records",
    "DELETE FROM records",
    "UPDATE records SET ips = 0",
    "INSERT INTO records VALUES (1)",
    "COPY records TO '/tmp/ardoise-out.csv'",
    "COPY (SELECT 1) TO '/tmp/ardoise-x'",
    "ATTACH '/tmp/ardoise-evil.db' AS evil",
    "DETACH evil",
    "PRAGMA database_list",
    "PRAGMA enable_profiling",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "RESET ALL",
    "CALL pragma_version()",
    "EXPORT DATABASE '/tmp/ardoise-db'",
    "IMPORT DATABASE '/tmp/ardoise-db'",
    "CREATE TABLE t AS SELECT 1",
    "CREATE MACRO m() AS 1",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT 1",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "VACUUM records",
    "CHECKPOINT x",
    "BEGIN TRANSACTION",
    "SUMMARIZE records",
    "DESCRIBE records",
    "SHOW TABLES",
    "EXPLAIN SELECT 1",
    "USE memory",
]
SQL_FUNCTIONS = [
    "read_csv('/etc/passwd')",
    "read_csv_auto('/etc/passwd')",
    "read_parquet('/tmp/x.parquet')",
    "read_json('/etc/x')",
    "read_text('/etc/passwd')",
    "read_blob('/etc/passwd')",
    "glob('/*')",
    "getenv('HOME')",
    "current_setting('threads')",
    "query('SELECT 1')",
    "query_table('records')",
    "sql_auto_complete('SEL')",
    "duckdb_settings()",
    "duckdb_extensions()",
    "pragma_version()",
    "system('id')",
    "shell('id')",
    "load_extension('x')",
    "generate_series(1, 1000000000)",
    "repeat('a', 1000000000)",
    "regexp_matches(nom, '(a+)+$')",
    "md5(nom)",
    "version()",
    "list_transform([1], x -> x)",
    "json_extract(nom, '$')",
    "pg_sleep(10)",
    "sleep_ms(10000)",
    "setseed(0.5)",
    "nextval('s')",
    "currval('s')",
    "current_database()",
    "current_schema()",
    "strftime(maj, '%Y')",
    "concat(nom, 'x')",
    "hash(nom)",
    "cast(ips as varchar)",
    "try_cast(ips as int)",
    "exists(select 1)",
    "unnest([1,2])",
    "struct_pack(a := 1)",
    "array_agg(nom)",
    "string_agg(nom, ',')",
    "first(nom)",
    "any_value(nom)",
    "mode(nom)",
    "stddev(ips)",
    "list(nom)",
    "histogram(nom)",
    "uuid()",
    "gen_random_uuid()",
]
COMMENTS = [
    'academie = "Lyon" --',
    '/* */ academie = "Lyon"',
    'academie /* x */ = "Lyon"',
    'academie = "Lyon" #',
    "# academie",
    'academie = "Lyon"\n-- drop',
    '--\nacademie = "Lyon"',
    'academie = "Lyon" -- \' OR 1=1',
    'academie = "Lyon" /*',
    'academie = "Lyon" */',
]
UNBALANCED = [
    'academie = "Lyon',
    "academie = 'Lyon",
    "academie = \"Lyon'",
    "academie = 'Lyon\"",
    '"',
    "'",
    "`",
    "`academie = 1",
    "academie` = 1",
    '(academie = "Lyon"',
    'academie = "Lyon")',
    '((academie = "Lyon")',
    "(",
    ")",
    "()",
    "year(date_ouverture = 1",
    "year date_ouverture) = 1",
    'academie in ("a", "b"',
    'academie in "a", "b")',
    "date_ouverture > date'2020",
    "geom'POINT(1 2)",
    'academie = "\\',
    "academie = '\\",
]
SEMICOLONS = [
    ";",
    'academie = "Lyon";',
    'academie = "Lyon"; DROP TABLE records',
    "; SELECT 1",
    'academie = "x" OR 1=1; --',
    "ips > 1;;",
]
INJECTION_FRAGMENTS = [
    "' OR '1'='1",
    '" OR ""="',
    "x' UNION SELECT * FROM records --",
    "admin'--",
    "1; DROP TABLE records",
    "') OR ('a'='a",
    "\\' OR 1=1 --",
    "1' AND sleep(5) --",
    "$p0",
    "1 UNION SELECT 1",
    "x) OR (1=1",
]
UNKNOWN = [
    "acad = 1",
    "rowid = 1",
    "records = 1",
    "_id = 1",
    "academie.nom = 1",
    "records.academie = 1",
    '"records"."academie" = 1',
    "`records`.academie = 1",
    "foo(1) = 1",
    "academie()",
    "information_schema = 1",
    "duckdb_tables() is null",
]
HOSTILE_SELECT = [
    "*, (SELECT 1)",
    "uai FROM records",
    "uai; DROP TABLE records",
    "uai as x y",
    "uai as 'x'",
    'uai as "x"',
    "uai as `a b`",
    "include(*); drop",
    "exclude(nom) or 1",
    "count(*) filter (where 1)",
    "uai union select 1",
    "uai -- ",
    "1 as `x`; select",
    "uai,",
    ",uai",
]
HOSTILE_ORDER = [
    "ips; DROP TABLE records",
    "ips desc; --",
    "ips asc desc",
    "(select 1)",
    "ips nulls first",
    "1",
    "ips collate nocase",
    "ips desc limit 1",
    "-ips asc",
    "random(",
    "random(1, 2)",
]
HOSTILE_GROUP = [
    "academie; DROP TABLE records",
    "academie having count(*) > 1",
    "rollup(academie)",
    "cube(academie)",
    "grouping sets ((academie))",
    "all",
    "1",
    "academie with rollup",
]


def _control_char_wheres() -> list[str]:
    out = []
    for code in [*range(0, 9), 11, 12, *range(14, 32), 0x7F, 0x85]:
        out.append(f'academie = "Ly{chr(code)}on"')
        out.append(f'academie{chr(code)}= "Lyon"')
    return out


def _surrogate_wheres() -> list[str]:
    raws = [
        b'academie = "\xff\xfe"',
        b"academie = \xc3\x28",
        b'nom = "\xed\xa0\x80"',
        b"\x80academie = 1",
        b'academie = "\xe2\x82"',
    ]
    return [raw.decode("utf-8", "surrogateescape") for raw in raws] + [
        'nom = "\ud800"',
        "\udfff = 1",
    ]


def _where_cases() -> list[str]:
    cases: list[str] = []
    for stmt in STATEMENTS:
        cases += [stmt, f'academie = "x"; {stmt}', f'academie = "x" OR 1=1; {stmt}; --']
    cases += [f"{fn} is not null" for fn in SQL_FUNCTIONS]
    cases += COMMENTS + UNBALANCED + SEMICOLONS + UNKNOWN
    cases += [f"academie = {frag}" for frag in INJECTION_FRAGMENTS]
    cases += _control_char_wheres() + _surrogate_wheres()
    return cases


def _sized_cases() -> list[RecordsQuery]:
    big_in = "effectif in (" + ", ".join("1" for _ in range(limits.MAX_IN_LIST + 1)) + ")"
    return [
        RecordsQuery(where="a" * 100_000),
        RecordsQuery(where="a" * 9_000 + " = 1"),
        RecordsQuery(where="f" * 9_000 + "(1) = 1"),
        RecordsQuery(where='nom = "' + "x" * 100_000 + '"'),
        RecordsQuery(where=" or ".join(['academie = "Lyon"'] * 5_000)),
        RecordsQuery(where="effectif in (" + ", ".join(str(i) for i in range(100_000)) + ")"),
        RecordsQuery(where=big_in),
        RecordsQuery(where="(" * 10_000 + "rep" + ")" * 10_000),
        RecordsQuery(where="(" * 4_000 + "rep" + ")" * 4_000),
        RecordsQuery(where="not " * 2_000 + "rep"),
        RecordsQuery(where="-" * 5_000 + "ips > 1"),
        RecordsQuery(where="lower(" * 1_500 + "nom" + ")" * 1_500 + ' = "x"'),
        RecordsQuery(where=" + ".join(["ips"] * 1_500) + " > 1"),
        RecordsQuery(where=tuple(['academie = "Lyon"'] * (limits.MAX_WHERE_CLAUSES + 1))),
        RecordsQuery(select=", ".join(["uai"] * (limits.MAX_ITEMS + 1))),
        RecordsQuery(select="uai" + ", nom" * 30_000),
        RecordsQuery(order_by=", ".join(["ips"] * (limits.MAX_ITEMS + 1))),
        RecordsQuery(group_by="academie, " * 3_000 + "academie"),
        RecordsQuery(refine=tuple(("academie", "Lyon") for _ in range(limits.MAX_REFINES + 1))),
        RecordsQuery(refine=(("academie", "x" * 100_000),)),
        RecordsQuery(where='"' + " ".join(["mot"] * (limits.MAX_SEARCH_TERMS + 1)) + '"'),
        RecordsQuery(
            where="intersects(position, geom'POLYGON(("
            + ", ".join(f"{i % 90} {i % 80}" for i in range(limits.MAX_GEOM_VERTICES + 1))
            + "))')"
        ),
        RecordsQuery(where="intersects(position, geom'" + "[" * 3_000 + "]" * 3_000 + "')"),
        RecordsQuery(limit=10**12),
        RecordsQuery(limit=-(10**12)),
        RecordsQuery(offset=10**12),
        RecordsQuery(limit=100, offset=9_999),
        RecordsQuery(timezone="../../../../etc/passwd"),
        RecordsQuery(timezone="Europe/Paris'; DROP TABLE records; --"),
        RecordsQuery(timezone="x" * 10_000),
        RecordsQuery(lang="fr'; DROP TABLE records"),
        RecordsQuery(lang="../../etc"),
    ]


MUST_FAIL: list[tuple[str, RecordsQuery]] = (
    [(f"where-{i}", RecordsQuery(where=w)) for i, w in enumerate(_where_cases())]
    + [(f"select-fn-{i}", RecordsQuery(select=f"{fn} as x")) for i, fn in enumerate(SQL_FUNCTIONS)]
    + [(f"order-fn-{i}", RecordsQuery(order_by=fn)) for i, fn in enumerate(SQL_FUNCTIONS)]
    + [(f"group-stmt-{i}", RecordsQuery(group_by=s)) for i, s in enumerate(STATEMENTS)]
    + [(f"select-{i}", RecordsQuery(select=s)) for i, s in enumerate(HOSTILE_SELECT)]
    + [(f"order-{i}", RecordsQuery(order_by=s)) for i, s in enumerate(HOSTILE_ORDER)]
    + [(f"group-{i}", RecordsQuery(group_by=s)) for i, s in enumerate(HOSTILE_GROUP)]
    + [
        (f"refine-field-{i}", RecordsQuery(refine=((f, "x"),)))
        for i, f in enumerate(
            ['academie" = 1 --', "academie; drop", "records", "", "ips OR 1=1", "position"]
        )
    ]
    + [(f"sized-{i}", q) for i, q in enumerate(_sized_cases())]
)

# Valid ODSQL carrying hostile text: it must stay inside parameters.
MAY_COMPILE: list[tuple[str, RecordsQuery]] = [
    (f"literal-{i}", q)
    for i, q in enumerate(
        [
            RecordsQuery(where="academie = \"x' OR '1'='1\""),
            RecordsQuery(where='academie = \'x" OR "1"="1\''),
            RecordsQuery(where='academie = "Lyon\\"; DROP TABLE records; --"'),
            RecordsQuery(where='"\'; DROP TABLE records; --"'),
            RecordsQuery(where='"; DROP TABLE records"'),
            RecordsQuery(where='nom like "%\' OR 1=1 --"'),
            RecordsQuery(where='academie in ("a\'); DROP TABLE records; --", "b")'),
            RecordsQuery(where="search(*, \"') UNION SELECT * FROM read_csv('/etc/passwd') --\")"),
            RecordsQuery(where="startswith(nom, \"'||(SELECT 1)||'\")"),
            RecordsQuery(where='"academie" = "Lyon"'),
            RecordsQuery(where="ips > 1 -- 1"),
            RecordsQuery(where='nom = "\\u0027; DROP TABLE records"'),
            RecordsQuery(where='nom = "$p0" or nom = "$1" or nom = "?"'),
            RecordsQuery(
                where="within_distance(position, geom'POINT(2 48)', 1km) or "
                "nom != \"'); ATTACH '/tmp/ardoise-x' --\""
            ),
            RecordsQuery(select='uai, "\'); DROP TABLE records; --" as x'),
            RecordsQuery(select="uai as `delete`, nom as `select`"),
            RecordsQuery(where="academie = 1 OR 1=1"),
            RecordsQuery(order_by="--ips"),
            RecordsQuery(refine=(("academie", "Lyon' OR '1'='1"),)),
            RecordsQuery(refine=(("nom", '"; DROP TABLE records; --'),)),
            RecordsQuery(refine=(("date_ouverture", "2020'; DROP"),)),
            RecordsQuery(exclude=(("academie", "x' OR 1=1 --"),)),
            RecordsQuery(where="(" * 30 + "rep" + ")" * 30),
            RecordsQuery(
                where="effectif in (" + ", ".join(str(i) for i in range(limits.MAX_IN_LIST)) + ")"
            ),
            RecordsQuery(where='"' + " ".join(["é"] * limits.MAX_SEARCH_TERMS) + '"'),
            RecordsQuery(where='nom like "' + "*" * 500 + "a" + "*" * 500 + '"'),
            RecordsQuery(where="ips > -1e308 and effectif < 99999999999999999999"),
            RecordsQuery(
                where="date_ouverture > date'0001-01-01' and maj < date'9999-12-31T23:59'"
            ),
            RecordsQuery(order_by="random(9007199254740993)"),
            RecordsQuery(where='academie = "\\x27" or academie = "\\u00e9"'),
            RecordsQuery(where='nom = "\u202e\u200b\ufeff"'),
            RecordsQuery(where='nom = "' + "\U0001f600" * 100 + '"'),
        ]
    )
]
FORBIDDEN_SQL_WORDS = (
    "drop",
    "attach",
    "read_csv",
    "union",
    "pragma",
    "copy",
    "install",
    "--",
    "/*",
)


@pytest.fixture
def no_duckdb(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail loudly if anything reaches DuckDB while compiling."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("DuckDB was called while compiling")

    for name in ("connect", "execute", "sql", "query", "query_df", "from_query"):
        if hasattr(duckdb, name):
            monkeypatch.setattr(duckdb, name, refuse)
    monkeypatch.setattr(Engine, "_execute", refuse)
    yield


def test_there_are_enough_hostile_inputs() -> None:
    assert len(MUST_FAIL) + len(MAY_COMPILE) >= 200


@pytest.mark.parametrize(("name", "query"), MUST_FAIL, ids=[n for n, _ in MUST_FAIL])
def test_refused_before_duckdb(
    name: str, query: RecordsQuery, schema: Schema, no_duckdb: None
) -> None:
    with pytest.raises(QueryError) as info:
        compile_records(query, schema)
    err = info.value
    assert err.message
    assert err.error_code in ("ODSQLError", "InvalidRESTParameterError")
    assert len(err.message) < 1_000  # never echoes a whole 100 KB input


@pytest.mark.parametrize(("name", "query"), MAY_COMPILE, ids=[n for n, _ in MAY_COMPILE])
def test_valid_but_hostile_stays_in_parameters(
    name: str, query: RecordsQuery, schema: Schema, engine: Engine
) -> None:
    compiled = compile_records(query, schema)
    for q in (compiled, compiled.count):
        assert q is not None
        lowered = q.sql.lower()
        assert "'" not in q.sql and ";" not in q.sql
        for word in FORBIDDEN_SQL_WORDS:
            assert word not in lowered
        assert lowered.count(" from ") == 1 + lowered.count('as "groups"')
        assert ' from "records"' in lowered
    result = engine.run(compiled)
    assert len(result.rows) <= 100
    assert engine.count(compiled) <= 30


def test_table_intact_after_hostile_inputs(schema: Schema, engine: Engine) -> None:
    for _, query in MAY_COMPILE:
        engine.run(compile_records(query, schema))
    total = compile_records(RecordsQuery(select="count(*) as n"), schema)
    assert engine.run(total).rows == [(30,)]
    assert not Path("/tmp/ardoise-x").exists()
    assert not Path("/tmp/ardoise-out.csv").exists()


def test_ten_thousand_parentheses_raise_query_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Lift the length cap so that the parser itself meets 10,000 levels of nesting.
    monkeypatch.setattr(limits, "MAX_CLAUSE_LENGTH", 1_000_000)
    for text in (
        "(" * 10_000 + "rep" + ")" * 10_000,
        "not " * 10_000 + "rep",
        "-" * 10_000 + "1 = 1",
        "lower(" * 10_000 + "nom" + ")" * 10_000 + " = 1",
        "(" * 10_000,
    ):
        with pytest.raises(QueryError):
            parser.parse_where(text)


def test_long_flat_chains_are_capped_not_recursive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_CLAUSE_LENGTH", 1_000_000)
    for text in (" and ".join(["rep"] * 20_000), " + ".join(["ips"] * 20_000) + " > 1"):
        with pytest.raises(QueryError):
            parser.parse_where(text)
