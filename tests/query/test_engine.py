"""The engine: read-only views over Parquet, no external access, time limits, error mapping."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ardoise.errors import ConfigError, ReleaseCorrupt
from ardoise.odsql.errors import QueryError
from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.engine import Engine
from ardoise.query.errors import QueryTimeout
from ardoise.query.model import CompiledQuery, RecordsQuery

SLOW_SQL = (
    "SELECT count(*) FROM range(100000000) AS a(x), range(100000) AS b(y) WHERE a.x + b.y = -1"
)


def test_runs_a_compiled_query(engine: Engine, schema: Schema) -> None:
    compiled = compile_records(
        RecordsQuery(select="uai, ips", where="academie = 'Lille'", order_by="ips desc", limit=2),
        schema,
    )
    result = engine.run(compiled)
    assert result.columns == ("uai", "ips")
    assert result.rows == [("0590013N", 108.6), ("0620017T", 101.5)]
    assert engine.count(compiled) == 5


def test_slow_query_is_interrupted(engine: Engine) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as info:
        engine.run(CompiledQuery(SLOW_SQL), time_limit_ms=100)
    assert time.monotonic() - started < 5
    assert "100 ms" in info.value.message
    assert info.value.error_code == "QueryTimeout"
    assert isinstance(info.value, QueryError)
    # The engine is still usable afterwards.
    assert engine.run(CompiledQuery('SELECT count(*) FROM "records"')).rows == [(30,)]


def test_default_time_limit_applies(schools_parquet: Path) -> None:
    with (
        Engine({"records": schools_parquet}, time_limit_ms=100) as short,
        pytest.raises(QueryTimeout),
    ):
        short.run(CompiledQuery(SLOW_SQL))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "COPY (SELECT 1) TO '/tmp/ardoise-engine-test.csv'",
        "ATTACH '/tmp/ardoise-engine-test.db' AS evil",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET allowed_paths = ['/etc/passwd']",
        "SET lock_configuration = false",
        "SELECT * FROM read_parquet('https://example.org/x.parquet')",
    ],
)
def test_external_access_is_refused(engine: Engine, sql: str) -> None:
    with pytest.raises(duckdb.Error):
        engine.connection.execute(sql)
    assert not Path("/tmp/ardoise-engine-test.csv").exists()
    assert not Path("/tmp/ardoise-engine-test.db").exists()


def test_cursors_inherit_the_locked_configuration(engine: Engine) -> None:
    rows = engine.run(
        CompiledQuery(
            "SELECT current_setting('enable_external_access'), current_setting('lock_configuration'),"
            " current_setting('default_null_order')"
        )
    ).rows
    assert rows == [(False, True, "NULLS_LAST")]
    with pytest.raises(QueryError) as info:
        engine.run(CompiledQuery("SELECT * FROM read_csv('/etc/passwd')"))
    assert "Permission" in info.value.message
    with pytest.raises(QueryError):
        engine.run(CompiledQuery("SET enable_external_access = true"))


def test_other_parquet_files_are_refused(engine: Engine, tmp_path: Path) -> None:
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"secret": [1]}), other)
    with pytest.raises(duckdb.Error):
        engine.connection.execute(f"SELECT * FROM read_parquet('{other}')")


def test_top_n_filtered_on_a_struct_member(engine: Engine, schema: Schema) -> None:
    # DuckDB 2.0.0 with late materialization: INTERNAL error, then a dead database.
    compiled = compile_records(
        RecordsQuery(
            select="uai", where="in_bbox(position, 40, 0, 50, 10)", order_by="uai", limit=3
        ),
        schema,
    )
    assert engine.run(compiled).rows == [("0130023Z",), ("0130024A",), ("0130025B",)]


class _BrokenCursor:
    def execute(self, *args: object) -> None:
        raise duckdb.InternalException("INTERNAL Error: simulated")

    def interrupt(self) -> None: ...

    def close(self) -> None: ...


class _BrokenConnection:
    closed = False

    def cursor(self) -> _BrokenCursor:
        return _BrokenCursor()

    def close(self) -> None:
        self.closed = True


def test_internal_errors_reopen_the_database(schools_parquet: Path) -> None:
    with Engine({"records": schools_parquet}) as fresh:
        broken = _BrokenConnection()
        fresh.connection = broken  # type: ignore[assignment]
        with pytest.raises(QueryError) as info:
            fresh.run(CompiledQuery('SELECT count(*) FROM "records"'))
        assert "interne" in info.value.message
        assert broken.closed
        assert not isinstance(fresh.connection, _BrokenConnection)
        assert fresh.run(CompiledQuery('SELECT count(*) FROM "records"')).rows == [(30,)]
        with pytest.raises(duckdb.Error):  # the new database is locked down too
            fresh.connection.execute("SELECT * FROM read_csv('/etc/passwd')")


def test_engine_errors_are_query_errors(engine: Engine) -> None:
    with pytest.raises(QueryError) as info:
        engine.run(CompiledQuery("SELECT * FROM read_csv('/etc/passwd')"))
    assert not isinstance(info.value, QueryTimeout)
    with pytest.raises(QueryError):
        engine.run(CompiledQuery('SELECT 9223372036854775807 * "effectif" FROM "records"'))


def test_missing_parquet_file(tmp_path: Path) -> None:
    with pytest.raises(ReleaseCorrupt):  # a server fault (was QueryError, a 400)
        Engine({"records": tmp_path / "absent.parquet"})


def test_bad_memory_limit(schools_parquet: Path) -> None:
    with pytest.raises(ConfigError):  # a server setting (was QueryError, a 400)
        Engine({"records": schools_parquet}, memory_limit="1GB'; ATTACH 'x")


def test_table_names_are_quoted(schools_parquet: Path) -> None:
    with Engine({'fr-en "ips"': schools_parquet}) as odd:
        assert odd.run(CompiledQuery('SELECT count(*) FROM "fr-en ""ips"""')).rows == [(30,)]


def test_division_by_zero_and_null_order_settings(engine: Engine) -> None:
    rows = engine.run(
        CompiledQuery("SELECT 1 % 0, x FROM (VALUES (NULL), (2), (1)) t(x) ORDER BY x DESC")
    )
    assert rows.rows == [(None, 2), (None, 1), (None, None)]


def test_concurrent_queries(engine: Engine, schema: Schema) -> None:
    compiled = compile_records(RecordsQuery(select="count(*) as n", group_by="academie"), schema)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                results.append(len(engine.run(compiled).rows))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [7] * 40


def test_export_without_limit(engine: Engine, schema: Schema) -> None:
    compiled = compile_records(RecordsQuery(select="uai", limit=-1), schema, export=True)
    assert "LIMIT" not in compiled.sql
    assert len(engine.run(compiled).rows) == 30
    batches = list(engine.stream(compiled, batch_size=8))
    assert [len(b) for b in batches] == [8, 8, 8, 6]
    assert [row for batch in batches for row in batch] == engine.run(compiled).rows


def test_stream_is_time_limited(engine: Engine) -> None:
    with pytest.raises(QueryTimeout):
        list(engine.stream(CompiledQuery(SLOW_SQL), time_limit_ms=100))


@pytest.mark.parametrize(
    "query",
    [
        RecordsQuery(select="uai, ips", where="academie = 'Lille'", order_by="ips desc", limit=2),
        RecordsQuery(where="academie = 'Lille'", limit=3, offset=1),
        RecordsQuery(where="academie = 'Lille'", order_by="uai", limit=10, offset=1000),
        RecordsQuery(where="academie = 'Nulle part'", limit=10),
        RecordsQuery(order_by="ips", limit=4),
        RecordsQuery(select="academie, count(*) as n", group_by="academie", limit=2),
        RecordsQuery(select="academie, avg(ips) as m", where="ips > 100", group_by="academie"),
        RecordsQuery(select="count(*) as n, max(ips) as m", where="academie = 'Lille'"),
    ],
    ids=repr,
)
def test_a_page_and_its_window_count_are_the_page_and_the_count(
    engine: Engine, schema: Schema, query: RecordsQuery
) -> None:
    """One statement per page: the same rows, in the same order, as the page query, and the
    total of the count query (None only for an empty page)."""
    compiled = compile_records(query, schema)
    page, total = engine.run_counted(compiled)
    plain = engine.run(compiled)
    assert page == plain
    assert total == (engine.count(compiled) if plain.rows else None)


def test_id_like_columns_are_indexed_and_answer_alike(
    schools_parquet: Path, schema: Schema
) -> None:
    """A loaded table gets an ART index on each id-like column it has (missing ones are
    skipped); point lookups through it return what a scan returns, in the same order."""
    TABLE = "records"  # the table of the schools fixture (conftest.TABLE)

    plain = Engine({TABLE: schools_parquet}, materialize=True)
    indexed = Engine({TABLE: schools_parquet}, materialize=True, indexes={TABLE: ("uai", "nope")})
    with plain, indexed:
        names = indexed.connection.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
        assert names == [(f"__index_0_{TABLE}",)]
        for where in ("uai = '0590013N'", "uai = 'inconnu'", "uai in ('0590013N', '0620017T')"):
            compiled = compile_records(RecordsQuery(where=where, order_by="ips"), schema)
            assert indexed.run_counted(compiled) == plain.run_counted(compiled)
            assert indexed.run(compiled).rows == plain.run(compiled).rows
