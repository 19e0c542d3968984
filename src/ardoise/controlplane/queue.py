"""The background job queue of the control plane (``cp_taches``): one validation job per
submission, claimed by a worker (``controlplane.worker``), never run in a web request.

The queue lives in the control plane's own database, PostgreSQL or SQLite, so a job and
its submission are created in one transaction. On PostgreSQL procrastinate dispatches the
jobs (``controlplane.dispatch``); on SQLite a worker claims a job by a conditional
``UPDATE``: two workers never hold the same job. The holder writes a heartbeat (``battement``) at every stage and every
few seconds; a job whose heartbeat is older than the lease (``queue_lease_s``) belongs to a
worker that died: the next worker claims it again, up to ``queue_max_attempts`` attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_, select, update

from ardoise.controlplane import dispatch
from ardoise.controlplane.schema import taches


class TaskState(StrEnum):
    EN_ATTENTE = "en_attente"
    EN_COURS = "en_cours"
    TERMINEE = "terminee"
    ECHOUEE = "echouee"


class Stage(StrEnum):
    """The stages of a validation, in order (the ingest pipeline names the first three)."""

    LECTURE = "lecture"
    NORMALISATION = "normalisation"
    CONTROLES = "controles"
    APERCU = "apercu"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def percent(self) -> int:
        """Where the validation is when this stage starts.

        >>> Stage.LECTURE.percent, Stage.APERCU.percent
        (0, 75)
        """
        return 100 * list(Stage).index(self) // len(Stage)


_LABELS = {
    Stage.LECTURE: "Lecture du fichier",
    Stage.NORMALISATION: "Normalisation",
    Stage.CONTROLES: "Contrôles (types, territoires, années, clés)",
    Stage.APERCU: "Aperçu (différences avec la version servie)",
}


@dataclass(frozen=True)
class Task:
    id: int
    submission_id: str
    state: TaskState
    attempts: int
    stage: Stage | None
    percent: int
    worker: str | None
    error: str | None

    @property
    def running(self) -> bool:
        return self.state in (TaskState.EN_ATTENTE, TaskState.EN_COURS)

    def to_json(self) -> dict[str, object]:
        return {
            "etat": self.state.value,
            "etape": self.stage.value if self.stage else None,
            "etape_libelle": self.stage.label if self.stage else None,
            "avancement": self.percent,
            "tentatives": self.attempts,
            "erreur": self.error,
        }


def _task(row: object) -> Task:
    m = row._mapping  # type: ignore[attr-defined]
    return Task(
        int(m["id"]), m["soumission_id"], TaskState(m["etat"]), int(m["tentatives"]),
        Stage(m["etape"]) if m["etape"] else None, int(m["avancement"]), m["travailleur"],
        m["erreur"],
    )  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


def enqueue(conn: Connection, submission_id: str) -> None:
    """A job for ``submission_id`` (in the caller's transaction, with its submission)."""
    now = _now()
    done = conn.execute(
        taches.insert().values(
            soumission_id=submission_id, etat=TaskState.EN_ATTENTE.value, cree_le=now,
            disponible_le=now,
        )
    )  # fmt: skip
    key = done.inserted_primary_key
    if _postgres(conn) and key is not None:
        dispatch.defer(conn, int(key[0]))


def _postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def task_of(engine: Engine, submission_id: str) -> Task | None:
    with engine.connect() as conn:
        row = conn.execute(select(taches).where(taches.c.soumission_id == submission_id)).first()
    return _task(row) if row is not None else None


def _claimable(now: datetime, lease_s: float) -> ColumnElement[bool]:
    stale = now - timedelta(seconds=lease_s)
    return or_(
        and_(taches.c.etat == TaskState.EN_ATTENTE.value, taches.c.disponible_le <= now),
        and_(taches.c.etat == TaskState.EN_COURS.value, taches.c.battement < stale),
    )


def claim(engine: Engine, worker: str, lease_s: float) -> Task | None:
    """The oldest job waiting (or left by a dead worker), now held by ``worker``; None."""
    now = _now()
    claimable = _claimable(now, lease_s)
    with engine.begin() as conn:
        if _postgres(conn):  # procrastinate chooses the job, and retries a dead worker's
            task_id = dispatch.fetch(conn, lease_s)
            claimable = taches.c.etat.in_((TaskState.EN_ATTENTE.value, TaskState.EN_COURS.value))
        else:
            query = select(taches.c.id).where(claimable).order_by(taches.c.id).limit(1)
            task_id = conn.execute(query).scalar_one_or_none()
        if task_id is None:
            return None
        done = conn.execute(
            update(taches)
            .where(taches.c.id == task_id, claimable)
            .values(etat=TaskState.EN_COURS.value, travailleur=worker, battement=now,
                    tentatives=taches.c.tentatives + 1, etape=None, avancement=0)
        )  # fmt: skip
        if not done.rowcount:  # another worker took it between the two statements
            return None
        return _task(conn.execute(select(taches).where(taches.c.id == task_id)).one())


def _held(task_id: int, worker: str) -> ColumnElement[bool]:
    return and_(
        taches.c.id == task_id,
        taches.c.travailleur == worker,
        taches.c.etat == TaskState.EN_COURS.value,
    )


def beat(engine: Engine, task_id: int, worker: str, stage: Stage | None = None) -> bool:
    """Refresh the heartbeat (and the stage); False if ``worker`` no longer holds the job."""
    values: dict[str, object] = {"battement": _now()}
    if stage is not None:
        values |= {"etape": stage.value, "avancement": stage.percent}
    with engine.begin() as conn:
        held = bool(
            conn.execute(update(taches).where(_held(task_id, worker)).values(values)).rowcount
        )
        if held and _postgres(conn):
            dispatch.beat(conn, task_id)
        return held


def close(
    conn: Connection, task_id: int, worker: str, state: TaskState, error: str | None = None
) -> bool:
    """End the job (in the caller's transaction); False if ``worker`` lost it meanwhile."""
    values: dict[str, object] = {"etat": state.value, "fini_le": _now(), "erreur": error}
    if state is TaskState.TERMINEE:
        values["avancement"] = 100
    held = bool(conn.execute(update(taches).where(_held(task_id, worker)).values(values)).rowcount)
    if held and _postgres(conn):
        dispatch.finish(conn, task_id, state is TaskState.TERMINEE)
    return held


def postpone(engine: Engine, task_id: int, worker: str, seconds: float) -> None:
    """Give the job back for later (the release store is busy): the attempt does not count."""
    with engine.begin() as conn:
        if _postgres(conn):
            dispatch.later(conn, task_id, seconds)
        conn.execute(
            update(taches)
            .where(_held(task_id, worker))
            .values(etat=TaskState.EN_ATTENTE.value, travailleur=None, etape=None,
                    avancement=0, tentatives=taches.c.tentatives - 1,
                    disponible_le=_now() + timedelta(seconds=seconds))
        )  # fmt: skip


def depth(engine: Engine) -> int:
    """Jobs waiting or running: the ``ardoise_queue_depth`` gauge of ``/metrics``."""
    running = (TaskState.EN_ATTENTE.value, TaskState.EN_COURS.value)
    with engine.connect() as conn:
        query = select(func.count()).select_from(taches).where(taches.c.etat.in_(running))
        return int(conn.execute(query).scalar_one())
