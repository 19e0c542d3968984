"""On PostgreSQL, the queue's jobs are dispatched by procrastinate (issue #15): its schema
(applied once, idempotently, in the control plane's database), its stored procedures to
defer, fetch, finish and retry a job, and its workers' heartbeats to find the jobs of a
worker that died. ``cp_taches`` keeps each job's progress for the submission's page.

Every function runs in the caller's transaction, so a job and its submission are created
together, and a job claimed here is recorded in ``cp_taches`` in the same transaction.
"""

from __future__ import annotations

import json

from procrastinate.schema import SchemaManager
from sqlalchemy import Connection, text

QUEUE = "ardoise-validation"
TASK = "ardoise.controlplane.validation"
_SCHEMA_LOCK = 7_318_015  # pg_advisory_xact_lock key: one process applies the schema


_READY: set[str] = set()  # the databases (URLs) known to hold the schema: checked once


def ensure_schema(conn: Connection) -> None:
    """procrastinate's tables and procedures, created unless present (looked for once per
    database and process: a worker's idle poll does not ask again every second)."""
    database = conn.engine.url.render_as_string(hide_password=True)
    if database in _READY:
        return
    present = "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
    if not conn.execute(text(present)).scalar_one():
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        if not conn.execute(text(present)).scalar_one():
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(SchemaManager.get_schema())  # several statements, no parameters
            return  # known once this transaction commits: looked for again until then
    _READY.add(database)


def defer(conn: Connection, task_id: int) -> None:
    """A procrastinate job for the ``cp_taches`` row ``task_id``."""
    ensure_schema(conn)
    conn.execute(
        text(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:q, :t, 0, NULL, NULL,"
            " CAST(:a AS jsonb), NULL)::procrastinate_job_to_defer_v1])"
        ),
        {"q": QUEUE, "t": TASK, "a": json.dumps({"tache": task_id})},
    )


def _retry_stalled(conn: Connection, lease_s: float) -> None:
    """Jobs whose worker's heartbeat is older than the lease go back to the queue."""
    stalled = conn.execute(
        text(
            "SELECT job.id FROM procrastinate_jobs job LEFT JOIN procrastinate_workers w"
            " ON w.id = job.worker_id WHERE job.status = 'doing' AND job.queue_name = :q"
            " AND (w.id IS NULL OR w.last_heartbeat < NOW() - make_interval(secs => :s))"
            " FOR UPDATE OF job SKIP LOCKED"
        ),
        {"q": QUEUE, "s": lease_s},
    ).scalars()
    for job_id in list(stalled):
        conn.execute(
            text("SELECT procrastinate_retry_job_v2(:j, NOW(), NULL, NULL, NULL)"), {"j": job_id}
        )


def fetch(conn: Connection, lease_s: float) -> int | None:
    """The ``cp_taches`` id of the next job, now held by a new procrastinate worker; None."""
    ensure_schema(conn)
    _retry_stalled(conn, lease_s)
    worker_id = conn.execute(text("SELECT * FROM procrastinate_register_worker_v1()")).scalar()
    job = conn.execute(
        text("SELECT id, args FROM procrastinate_fetch_job_v2(ARRAY[:q]::varchar[], :w)"),
        {"q": QUEUE, "w": worker_id},
    ).first()
    if job is None or job.id is None:
        conn.execute(text("SELECT procrastinate_unregister_worker_v1(:w)"), {"w": worker_id})
        return None
    return int(job.args["tache"])


def _job(conn: Connection, task_id: int) -> tuple[int, int | None] | None:
    row = conn.execute(
        text(
            "SELECT id, worker_id FROM procrastinate_jobs WHERE queue_name = :q"
            " AND status = 'doing' AND (args->>'tache')::bigint = :t"
        ),
        {"q": QUEUE, "t": task_id},
    ).first()
    return (int(row.id), row.worker_id) if row is not None else None


def beat(conn: Connection, task_id: int) -> None:
    """The heartbeat of the procrastinate worker holding the job."""
    job = _job(conn, task_id)
    if job is not None and job[1] is not None:
        conn.execute(text("SELECT procrastinate_update_heartbeat_v1(:w)"), {"w": job[1]})


def finish(conn: Connection, task_id: int, succeeded: bool) -> None:
    """The job ends (succeeded or failed); its worker is unregistered."""
    job = _job(conn, task_id)
    if job is None:
        return
    status = "succeeded" if succeeded else "failed"
    conn.execute(
        text("SELECT procrastinate_finish_job_v1(:j, CAST(:s AS procrastinate_job_status), false)"),
        {"j": job[0], "s": status},
    )
    _unregister(conn, job[1])


def later(conn: Connection, task_id: int, seconds: float) -> None:
    """The job goes back to the queue, not before ``seconds`` from now."""
    job = _job(conn, task_id)
    if job is None:
        return
    conn.execute(
        text(
            "SELECT procrastinate_retry_job_v2(:j, NOW() + make_interval(secs => :s),"
            " NULL, NULL, NULL)"
        ),
        {"j": job[0], "s": seconds},
    )
    _unregister(conn, job[1])


def _unregister(conn: Connection, worker_id: int | None) -> None:
    if worker_id is not None:
        conn.execute(text("SELECT procrastinate_unregister_worker_v1(:w)"), {"w": worker_id})
