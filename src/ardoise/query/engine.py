"""Run compiled queries on DuckDB, read-only, over Parquet files.

One in-memory DuckDB database holds one view per dataset over its Parquet file. Once the
views exist, file access is restricted to those files (``allowed_paths``), external access
is switched off and the configuration is locked: SQL can no longer read other files,
attach databases, copy data out or load extensions. Every query runs on its own cursor
with a wall-clock limit: the watchdog calls ``interrupt()`` and the query raises
:class:`QueryTimeout`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ardoise.errors import ConfigError, ReleaseCorrupt
from ardoise.measures import DUCKDB
from ardoise.odsql.errors import QueryError
from ardoise.query.errors import QueryTimeout
from ardoise.query.model import CompiledQuery
from ardoise.query.watchdog import WATCHDOG
from ardoise.sql import quote_identifier as _quote_identifier
from ardoise.sql import quote_literal as _quote_string

# The total in front of a page's columns (``run_counted``); the name never reaches an answer.
_WINDOW_TOTAL = 'SELECT COUNT(*) OVER () AS "__total_count", '
_MEMORY = re.compile(r"\d+(\.\d+)?\s*[KMGT]i?B")


@dataclass(frozen=True)
class ResultSet:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


class Engine:
    """Read-only DuckDB over Parquet: ``Engine({"records": path}).run(compiled)``."""

    def __init__(
        self,
        tables: Mapping[str, Path | str],
        *,
        memory_limit: str = "1GB",
        threads: int = 2,
        time_limit_ms: int = 2000,
        materialize: bool = False,
        views_only: Collection[str] = (),
        indexes: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self._materialize = materialize
        self._indexes = {t: tuple(cols) for t, cols in (indexes or {}).items()}
        self._views_only = frozenset(views_only)
        if not _MEMORY.fullmatch(memory_limit):
            raise ConfigError(  # a server setting (ARDOISE_QUERY_MEMORY_LIMIT), never a request
                f"Réglage memory_limit du moteur invalide : {memory_limit!r} "
                "(attendu : une taille comme 512MB, 1GB ou 2GiB)."
            )
        self.time_limit_ms = time_limit_ms
        self._memory_limit = memory_limit
        self._threads = int(threads)
        self._tables: dict[str, str] = {}
        for table, raw in tables.items():
            path = Path(raw).resolve()
            if not path.is_file():
                raise ReleaseCorrupt(  # the release on disk is incomplete: a server fault
                    f"Fichier Parquet introuvable pour la table {table} : {path}"
                )
            self._tables[table] = str(path)
        self._lock = threading.Lock()
        self.connection = self._open()

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        for table, path in self._tables.items():
            # Table names and paths come from our configuration, never from a request;
            # views cannot take parameters, hence the careful quoting.
            # A release never changes: load each table into memory once (columnar, about
            # 150 MB for the whole mirror) instead of decoding Parquet at every query.
            kind = "TABLE" if self._materialize and table not in self._views_only else "VIEW"
            con.execute(
                f"CREATE {kind} {_quote_identifier(table)} AS "
                f"SELECT * FROM read_parquet({_quote_string(path)})"
            )
            if kind == "TABLE":
                self._index(con, table)
        paths = ", ".join(_quote_string(p) for p in self._tables.values())
        for statement in (
            f"SET GLOBAL memory_limit = {_quote_string(self._memory_limit)}",
            f"SET GLOBAL threads = {self._threads}",
            "SET GLOBAL error_on_division_by_zero = false",  # ODSQL: x / 0 is null
            "SET GLOBAL default_null_order = 'nulls_last'",  # ODSQL: nulls last both ways
            "SET GLOBAL preserve_insertion_order = true",  # stable pages without order_by
            "SET GLOBAL TimeZone = 'UTC'",  # date-times are stored and compared in UTC
            # DuckDB 2.0.0 fails (INTERNAL error, then invalidates the database) on a Top-N
            # query filtering on a struct member it does not return; see test_engine.
            "SET GLOBAL disabled_optimizers = 'late_materialization'",
            f"SET GLOBAL allowed_paths = [{paths}]",
            "SET GLOBAL enable_external_access = false",
            "SET GLOBAL autoinstall_known_extensions = false",
            "SET GLOBAL autoload_known_extensions = false",
            "SET GLOBAL lock_configuration = true",  # GLOBAL: cursors inherit all of it
        ):
            con.execute(statement)
        return con

    def _index(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        """ART indexes on a loaded table's id-like columns (``indexes``): a point lookup
        (``uai = $p``, a record id) probes the index instead of scanning the table."""
        present = {
            d[0]
            for d in con.execute(f"SELECT * FROM {_quote_identifier(table)} LIMIT 0").description
        }
        for i, column in enumerate(c for c in self._indexes.get(table, ()) if c in present):
            con.execute(
                f"CREATE INDEX {_quote_identifier(f'__index_{i}_{table}')} "
                f"ON {_quote_identifier(table)} ({_quote_identifier(column)})"
            )

    def _reopen(self, broken: duckdb.DuckDBPyConnection) -> None:
        """Replace a database DuckDB has invalidated after an internal error."""
        with self._lock:
            if self.connection is broken:
                self.connection = self._open()
                broken.close()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, compiled: CompiledQuery, *, time_limit_ms: int | None = None) -> ResultSet:
        """Execute ``compiled`` with its parameters; raise QueryTimeout past the time limit.

        Column names are the API names of ``compiled.columns`` (SQL aliases may be positional).
        """
        result = self._execute(compiled.sql, compiled.params, time_limit_ms)
        if len(compiled.columns) == len(result.columns):
            return ResultSet(tuple(c.name for c in compiled.columns), result.rows)
        return result

    def run_counted(
        self, compiled: CompiledQuery, *, time_limit_ms: int | None = None
    ) -> tuple[ResultSet, int | None]:
        """The page of ``compiled`` and its ``total_count`` in one statement: a window count,
        taken after WHERE and GROUP BY and before ORDER BY and LIMIT, over the same rows (or
        groups) the count query counts. The total is None when the page has no row (an
        offset past the end, or a statement the window cannot be put in front of).
        """
        sql = compiled.sql
        if not sql.startswith("SELECT ") or sql.startswith("SELECT DISTINCT"):
            return self.run(compiled, time_limit_ms=time_limit_ms), None
        result = self._execute(
            _WINDOW_TOTAL + sql[len("SELECT ") :], compiled.params, time_limit_ms
        )
        total = int(result.rows[0][0]) if result.rows else None
        rows = [row[1:] for row in result.rows]
        names = result.columns[1:]
        if len(compiled.columns) == len(names):
            names = tuple(c.name for c in compiled.columns)
        return ResultSet(names, rows), total

    def count(self, compiled: CompiledQuery, *, time_limit_ms: int | None = None) -> int:
        """``total_count`` of a compiled records query (rows, or groups)."""
        if compiled.count is None:
            raise QueryError("Cette requête n'a pas de requête de comptage.")
        result = self._execute(compiled.count.sql, compiled.count.params, time_limit_ms)
        return int(result.rows[0][0]) if result.rows else 0

    def stream(
        self, compiled: CompiledQuery, *, batch_size: int = 10_000, time_limit_ms: int | None = None
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Yield the rows of ``compiled`` in batches (exports); the time limit covers the stream."""
        with self._cursor(time_limit_ms) as cursor:
            cursor.execute(compiled.sql, dict(compiled.params) if compiled.params else None)
            while batch := cursor.fetchmany(batch_size):
                yield batch

    def fetch(self, sql: str, params: Mapping[str, object]) -> ResultSet:
        """Run SQL built by the query layer itself (never from a request), with parameters."""
        return self._execute(sql, params, None)

    def stream_arrow(
        self,
        compiled: CompiledQuery,
        *,
        batch_size: int = 50_000,
        time_limit_ms: int | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Yield Arrow record batches named after ``compiled.columns`` (exports)."""
        names = [c.name for c in compiled.columns]
        with self._cursor(time_limit_ms) as cursor:
            relation = cursor.sql(compiled.sql, params=dict(compiled.params) or None)
            for batch in relation.to_arrow_reader(batch_size):
                yield batch.rename_columns(names) if len(names) == batch.num_columns else batch

    def _execute(
        self, sql: str, params: Mapping[str, object], time_limit_ms: int | None
    ) -> ResultSet:
        with self._cursor(time_limit_ms) as cursor, DUCKDB.time():
            cursor.execute(sql, dict(params) if params else None)
            rows = cursor.fetchall()
            columns = tuple(d[0] for d in cursor.description or ())
        return ResultSet(columns, rows)

    @contextmanager
    def _cursor(self, time_limit_ms: int | None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor with a wall-clock limit; DuckDB errors leave as QueryError subclasses."""
        limit = self.time_limit_ms if time_limit_ms is None else time_limit_ms
        with self._lock:  # cursor() on a shared connection is not thread-safe
            connection = self.connection
            cursor = connection.cursor()
        expired = threading.Event()

        def interrupt() -> None:
            expired.set()
            cursor.interrupt()

        timeout = QueryTimeout(
            f"La requête a dépassé le temps maximal d'exécution ({limit} ms) et a été interrompue."
        )
        token = WATCHDOG.arm(limit / 1000, interrupt)
        try:
            yield cursor
        except duckdb.InterruptException:
            raise timeout from None
        except (duckdb.InternalException, duckdb.FatalException) as err:
            self._reopen(connection)
            raise QueryError(f"Erreur interne du moteur de requête : {_first_line(err)}") from None
        except duckdb.Error as err:
            if expired.is_set():
                raise timeout from None
            raise QueryError(f"Erreur d'exécution de la requête : {_first_line(err)}") from None
        except OSError as err:  # errors read from an Arrow stream surface as OSError
            if expired.is_set() or "INTERRUPT" in str(err):
                raise timeout from None
            raise QueryError(f"Erreur d'exécution de la requête : {_first_line(err)}") from None
        finally:
            WATCHDOG.disarm(token)
            cursor.close()


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__
