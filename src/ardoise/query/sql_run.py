"""Run checked SQL (``query/sql_guard.py``) on a DuckDB of its own, locked down.

Each query gets a fresh in-memory database holding one view per table it reads (over the
Parquet file the allow-list maps it to, never a path from the request); then file access
is restricted to those files, external access and extension loading are switched off, the
memory and thread limits are set and the configuration is locked. A timer interrupts the
query past its time limit. JSON and CSV answers stop at a row cap (the answer says so and
links to the Parquet download, capped much higher).

:func:`run_sql` is the one data function of ``/api/v1/sql``, its page and the benchmark.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ardoise.errors import ReleaseCorrupt
from ardoise.odsql.errors import LimitExceeded
from ardoise.query.errors import QueryTimeout
from ardoise.query.indicators import hides_indicators
from ardoise.query.release import ServedRelease
from ardoise.query.sql_guard import VIEW_PREFIX, CheckedSql, SqlRefused, check_sql
from ardoise.query.sql_tables import PUBLIC, Grant, sql_grant, visible_tables, with_default
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from ardoise.sql import quote_identifier, quote_literal

SQL_SLOTS = 4  # SQL queries running at once in a process (each has its own memory limit)
_SLOTS = threading.BoundedSemaphore(SQL_SLOTS)
_INT = re.compile(r"[+-]?\d{1,18}")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d{1,3})?")


@dataclass(frozen=True)
class SqlLimits:
    """The caps of one SQL query (settings ``ARDOISE_SQL_*``)."""

    time_limit_ms: int = 10_000
    memory_limit: str = "512MB"
    threads: int = 2
    max_rows: int = 5_000
    export_max_rows: int = 1_000_000

    @classmethod
    def of(cls, settings: Settings) -> SqlLimits:
        return cls(
            time_limit_ms=settings.sql_time_limit_ms,
            memory_limit=settings.sql_memory_limit,
            threads=settings.query_threads,
            max_rows=settings.sql_max_rows,
            export_max_rows=settings.sql_export_max_rows,
        )


@dataclass(frozen=True)
class SqlResult:
    """The answer of one SQL query: columns (name, DuckDB type), rows, whether the row cap
    cut it, the tables it read, and the plan when ``EXPLAIN`` was asked."""

    release_id: str
    sql: str
    columns: tuple[tuple[str, str], ...]
    rows: list[tuple[Any, ...]]
    truncated: bool
    max_rows: int
    tables: tuple[str, ...]
    plan: str | None = None


def checked(
    release: ServedRelease,
    store: ReleaseStore,
    text: str,
    grant: Grant,
    default: str | None,
    views: Mapping[Path, str] | None = None,
) -> CheckedSql:
    """``text`` checked against the tables ``grant`` may read; unqualified names are those of
    the release ``default`` (an id of the store; None: the served ``release``)."""
    tables = _tables(release, store, reader_grant(release, grant))
    if default is not None and default.lower() != release.id.lower():
        tables = with_default(tables, default)
    return check_sql(text, tables, views)


def reader_grant(release: ServedRelease, grant: Grant) -> Grant:
    """``grant`` narrowed by the current reader's access to restricted datasets (#16)."""
    own = sql_grant(release.access())  # derived tables of a hidden dataset included
    indicators = grant.indicators and not hides_indicators(release)
    return Grant(grant.hidden | own.hidden, indicators)


def _tables(release: ServedRelease, store: ReleaseStore, grant: Grant) -> dict[str, Path]:
    return release.memo(
        ("sql_tables", grant),
        lambda: visible_tables(store, (release.path, release.manifest), grant),
    )


def run_sql(
    release: ServedRelease,
    store: ReleaseStore,
    text: str,
    params: Mapping[str, str],
    limits: SqlLimits,
    grant: Grant = PUBLIC,
    default: str | None = None,
) -> SqlResult:
    """Run the SQL ``text`` (bound ``params`` by name) and return at most ``max_rows`` rows;
    ``default``: the release whose tables the unqualified names are (None: ``release``)."""
    db = database(release, store, grant, limits)
    query = checked(release, store, text, grant, default, db.views)
    values = bind(query, params)
    with db.cursor(limits.time_limit_ms) as cursor:
        if query.explain:
            rows = cursor.execute(f"EXPLAIN {query.sql}", values or None).fetchall()
            plan = "\n".join(str(r[-1]) for r in rows)
            return SqlResult(default or release.id, query.sql, (), [], False, 0, query.tables, plan)
        cursor.execute(query.sql, values or None)
        columns = tuple((d[0], str(d[1])) for d in cursor.description or ())
        rows = [tuple(_cell(v) for v in row) for row in cursor.fetchmany(limits.max_rows + 1)]
    truncated = len(rows) > limits.max_rows
    return SqlResult(
        default or release.id, query.sql, columns, rows[: limits.max_rows], truncated, limits.max_rows,
        query.tables,
    )  # fmt: skip


def sql_parquet(
    release: ServedRelease,
    store: ReleaseStore,
    text: str,
    params: Mapping[str, str],
    limits: SqlLimits,
    grant: Grant = PUBLIC,
    default: str | None = None,
) -> bytes:
    """The whole result as a Parquet file (at most ``export_max_rows`` rows)."""
    db = database(release, store, grant, limits)
    query = checked(release, store, text, grant, default, db.views)
    if query.explain:
        raise SqlRefused("EXPLAIN ne se télécharge pas en Parquet : utilisez format=json.")
    values = bind(query, params)
    sink = pa.BufferOutputStream()
    with db.cursor(limits.time_limit_ms) as cursor:
        reader = cursor.sql(query.sql, params=values or None).to_arrow_reader(50_000)
        rows = 0
        with pq.ParquetWriter(sink, reader.schema) as writer:
            for batch in reader:
                rows += batch.num_rows
                if rows > limits.export_max_rows:
                    raise LimitExceeded(
                        f"Le résultat dépasse {limits.export_max_rows} lignes, le maximum d'un "
                        "téléchargement SQL : filtrez ou agrégez, ou téléchargez les jeux "
                        "entiers (exports Parquet de l'API Explore)."
                    )
                writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def bind(query: CheckedSql, params: Mapping[str, str]) -> dict[str, object]:
    """The values of the query's parameters (``p.nom=…``): integers and decimals as
    numbers, anything else as text."""
    given = {k.lower(): v for k, v in params.items()}
    values: dict[str, object] = {}
    for name in query.parameters:
        if name not in given:
            raise SqlRefused(
                f"Paramètre :{name} sans valeur : ajoutez p.{name}=… à l'adresse de la requête."
            )
        raw = given[name]
        if _INT.fullmatch(raw):
            values[name] = int(raw)
        elif _FLOAT.fullmatch(raw):
            values[name] = float(raw)
        else:
            values[name] = raw
    return values


class SqlDatabase:
    """One locked-down in-memory DuckDB holding a view per file of an allow-list (made once
    per served release: a new database costs about 50 ms); each query runs on its own
    cursor. Reopened when DuckDB invalidates it after an internal error."""

    def __init__(self, views: Mapping[Path, str], limits: SqlLimits) -> None:
        self.views = dict(views)
        self._limits = limits
        self._lock = threading.Lock()
        self.connection = self._open()

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        for path, view in self.views.items():
            try:
                con.execute(
                    f"CREATE VIEW {quote_identifier(view)} AS "
                    f"SELECT * FROM read_parquet({quote_literal(str(path))})"
                )
            except duckdb.Error as err:  # the file changed on disk since it was verified
                con.close()
                raise ReleaseCorrupt(
                    f"Le fichier {path.name} de la release servie est illisible "
                    f"({_first_line(err).replace(str(path.parent) + '/', '')}) : revenez à "
                    "une release précédente "
                    "(ardoise rollback)."
                ) from None
        paths = ", ".join(quote_literal(str(p)) for p in self.views)
        for statement in (
            f"SET GLOBAL memory_limit = {quote_literal(self._limits.memory_limit)}",
            f"SET GLOBAL threads = {int(self._limits.threads)}",
            "SET GLOBAL TimeZone = 'UTC'",
            "SET GLOBAL disabled_optimizers = 'late_materialization'",  # see query/engine.py
            f"SET GLOBAL allowed_paths = [{paths}]",
            "SET GLOBAL enable_external_access = false",
            "SET GLOBAL autoinstall_known_extensions = false",
            "SET GLOBAL autoload_known_extensions = false",
            "SET GLOBAL lock_configuration = true",
        ):
            con.execute(statement)
        return con

    @contextmanager
    def cursor(self, limit_ms: int) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor under the time limit (at most ``SQL_SLOTS`` at once in a process)."""
        if not _SLOTS.acquire(timeout=limit_ms / 1000):
            raise QueryTimeout(
                f"Trop de requêtes SQL en cours ({SQL_SLOTS} à la fois) : réessayez dans un "
                "instant."
            )
        try:
            with self._lock:
                connection = self.connection
                cursor = connection.cursor()
            try:
                with _time_limit(cursor, limit_ms, lambda: self._reopen(connection)):
                    yield cursor
            finally:
                cursor.close()
        finally:
            _SLOTS.release()

    def _reopen(self, broken: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            if self.connection is broken:
                self.connection = self._open()
                broken.close()

    def close(self) -> None:
        self.connection.close()


def database(
    release: ServedRelease, store: ReleaseStore, grant: Grant, limits: SqlLimits
) -> SqlDatabase:
    """The SQL database of ``release`` for ``grant``: a view per file it may read."""
    grant = reader_grant(release, grant)

    def build() -> SqlDatabase:
        paths = sorted(set(_tables(release, store, grant).values()))
        return SqlDatabase({p: f"{VIEW_PREFIX}{i}" for i, p in enumerate(paths)}, limits)

    return release.memo(("sql_database", grant, limits), build)


@contextmanager
def _connection(
    query: CheckedSql, limits: SqlLimits
) -> Iterator[tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]]:
    """A database of the query's views alone, and a cursor under the time limit."""
    db = SqlDatabase({p: v for v, p in query.views}, limits)
    try:
        with db.cursor(limits.time_limit_ms) as cursor:
            yield db.connection, cursor
    finally:
        db.close()


@contextmanager
def _time_limit(
    con: duckdb.DuckDBPyConnection, limit_ms: int, reopen: Callable[[], None]
) -> Iterator[None]:
    """Interrupt ``con`` after ``limit_ms``; DuckDB errors leave as French QueryErrors."""
    expired = threading.Event()

    def interrupt() -> None:
        expired.set()
        con.interrupt()

    timer = threading.Timer(limit_ms / 1000, interrupt)
    timer.daemon = True
    timer.start()
    timeout = QueryTimeout(
        f"La requête SQL a dépassé le temps maximal d'exécution ({limit_ms} ms) et a été "
        "interrompue : filtrez ou agrégez davantage."
    )
    try:
        yield
    except duckdb.InterruptException:
        raise timeout from None
    except (duckdb.InternalException, duckdb.FatalException) as err:
        reopen()
        raise SqlRefused(f"Erreur interne du moteur SQL : {_first_line(err)}") from None
    except duckdb.OutOfMemoryException:
        raise LimitExceeded(
            "La requête SQL dépasse la mémoire allouée à une requête : filtrez ou agrégez "
            "davantage, ou évitez les produits cartésiens."
        ) from None
    except duckdb.Error as err:
        if expired.is_set():
            raise timeout from None
        raise SqlRefused(f"Erreur d'exécution de la requête SQL : {_first_line(err)}") from None
    except (OSError, pa.ArrowException) as err:  # errors read from an Arrow stream
        if expired.is_set() or "INTERRUPT" in str(err):
            raise timeout from None
        raise SqlRefused(f"Erreur d'exécution de la requête SQL : {_first_line(err)}") from None
    finally:
        timer.cancel()


def _cell(value: Any) -> Any:
    """A value JSON can carry: numbers, text, booleans, null, lists and objects of those;
    dates as ISO text; anything else as its text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, list | tuple):
        return [_cell(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _cell(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _first_line(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:300]
