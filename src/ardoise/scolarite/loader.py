"""Bulk load of enrolment rows, inside the caller's transaction: ``COPY`` on PostgreSQL,
``executemany`` on SQLite. Rows follow :data:`COLUMNS` (every column but ``id``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, select

from ardoise.scolarite.schema import eleves

COLUMNS: tuple[str, ...] = tuple(c.name for c in eleves.columns if c.name != "id")


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def load_rows(conn: Connection, rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    cols = ", ".join(COLUMNS)
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY scolarite_eleves ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    marks = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO scolarite_eleves ({cols}) VALUES ({marks})"
    cur = raw.cursor()
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(_sqlite_value(v) for v in row))
        if len(batch) >= 50_000:
            cur.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    if batch:
        cur.executemany(sql, batch)
        count += len(batch)
    cur.close()
    return count


def clear_synthetic(conn: Connection) -> int:
    """Remove the synthetic pupils (all of them, quickly, when nothing else is there)."""
    real = conn.execute(
        select(func.count()).select_from(eleves).where(eleves.c.synthetique.is_(False))
    ).scalar_one()
    if real == 0 and conn.dialect.name == "postgresql":
        conn.exec_driver_sql("TRUNCATE scolarite_eleves")
        return -1
    return int(conn.execute(delete(eleves).where(eleves.c.synthetique.is_(True))).rowcount)
