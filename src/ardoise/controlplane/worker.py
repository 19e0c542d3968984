"""The worker that runs the queue's jobs (``controlplane.queue``): submissions' validations.

Two places run one: ``ardoise serve`` starts a worker thread in its own process when the
control plane is SQLite (``make run``; also with PostgreSQL when ``queue_worker_in_process``
says so), and ``ardoise travailleur`` runs a standalone worker for PostgreSQL deployments
(any number of them, on any machine that sees ``var/``). While a job runs, a heartbeat
thread refreshes its lease; a worker killed mid-job leaves a job whose lease expires, and
the next worker runs it again from the start (validation writes nothing before its end).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from ardoise.controlplane import queue, validation
from ardoise.controlplane.database import LazyEngine, database_url
from ardoise.controlplane.errors import ControlPlaneError
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.queue import Stage, Task, TaskState
from ardoise.errors import ArdoiseError, PublishError
from ardoise.settings import Settings

log = logging.getLogger("ardoise.travailleur")

Job = Callable[[Engine, Settings, str, Callable[[Stage], None]], validation.Validated]

INTERNAL = (
    "La validation a échoué sur une erreur interne ; rien n'a été publié. Soumettez à "
    "nouveau le fichier ; si l'erreur persiste, signalez-la (journal du service)."
)


def in_process(settings: Settings, url: str) -> bool:
    """Whether ``ardoise serve`` runs a worker in its process for the database at ``url``."""
    choice = settings.queue_worker_in_process.strip().lower()
    if choice not in ("auto", "oui", "non"):
        raise ControlPlaneError(
            f"Réglage queue_worker_in_process : « {choice} » ; attendu auto, oui ou non."
        )
    return choice == "oui" or (choice == "auto" and url.startswith("sqlite"))


class Worker:
    """Claims jobs and runs them; :meth:`run_once` in tests, :meth:`start` as a thread."""

    def __init__(
        self, engine: Engine, settings: Settings, job: Job = validation.validate,
        mailer: Mailer | None = None, name: str | None = None,
    ) -> None:  # fmt: skip
        self.engine, self.settings, self.job, self.mailer = engine, settings, job, mailer
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:80]
        self.busy_retry_s = 5.0  # the release store is locked by an ingest or a publication
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Run one job if one is claimable; whether one was."""
        task = queue.claim(self.engine, self.name, self.settings.queue_lease_s)
        if task is None:
            return False
        if task.attempts > self.settings.queue_max_attempts:
            message = (
                f"La validation a été interrompue {task.attempts - 1} fois (travailleur arrêté "
                "en cours de route) ; rien n'a été publié. Soumettez à nouveau le fichier."
            )
            self._fail(task, message)
            return True
        self._run(task)
        return True

    def _run(self, task: Task) -> None:
        done = threading.Event()
        beating = threading.Thread(
            target=self._beat, args=(task, done), name="ardoise-battement", daemon=True
        )
        beating.start()
        try:
            result = self.job(self.engine, self.settings, task.submission_id, self._stage(task))
        except PublishError:  # an ingest or a publication holds the store: later
            queue.postpone(self.engine, task.id, self.name, self.busy_retry_s)
            return
        except ArdoiseError as exc:
            self._fail(task, f"La validation a échoué : {exc} Rien n'a été publié.")
            return
        except Exception:
            log.exception("validation de la soumission %s", task.submission_id)
            self._fail(task, INTERNAL)
            return
        finally:
            done.set()
            beating.join()
        with self.engine.begin() as conn:
            kept = queue.close(conn, task.id, self.name, TaskState.TERMINEE) and result.write(conn)
        if kept:
            result.announce(self.engine, self.settings, self.mailer)

    def _stage(self, task: Task) -> Callable[[Stage], None]:
        def stage(step: Stage) -> None:
            queue.beat(self.engine, task.id, self.name, step)

        return stage

    def _beat(self, task: Task, done: threading.Event) -> None:
        every = max(0.05, self.settings.queue_lease_s / 3)
        while not done.wait(every):
            queue.beat(self.engine, task.id, self.name)

    def _fail(self, task: Task, message: str) -> None:
        with self.engine.begin() as conn:
            if queue.close(conn, task.id, self.name, TaskState.ECHOUEE, message):
                validation.failed(conn, task.submission_id, message)

    def run_until_idle(self, limit: int = 1000) -> int:
        """Run jobs until none is claimable (at most ``limit``); how many ran."""
        ran = 0
        while ran < limit and self.run_once():
            ran += 1
        return ran

    def wake(self) -> None:
        """A job was just queued: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.loop, name="ardoise-travailleur", daemon=True)
        self._thread.start()

    def loop(self) -> None:
        """Run jobs until :meth:`stop`; a database fault is logged, then retried."""
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("file des tâches")
                busy = False
                time.sleep(self.settings.queue_poll_ms / 1000)
            if not busy:
                self._wake.wait(self.settings.queue_poll_ms / 1000)
                self._wake.clear()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the job running now, if any (a longer one resumes elsewhere)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)


class InProcessWorker:
    """The worker thread of an ``ardoise serve`` process, when :func:`in_process` says so.

    It starts with the app if the control plane's database exists already (jobs left by
    the last run resume), else at the first submission (:meth:`wake`): serving the open
    data never creates the control plane's database."""

    def __init__(self, settings: Settings, engine: LazyEngine) -> None:
        self.settings, self.lazy = settings, engine
        url = database_url(settings)
        self.enabled = in_process(settings, url)
        self._sqlite_file = Path(url.split("///", 1)[-1]) if url.startswith("sqlite") else None
        self._worker: Worker | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        if self.enabled and (self._sqlite_file is None or self._sqlite_file.is_file()):
            self._started()

    def _started(self) -> Worker:
        with self._lock:
            if self._worker is None:
                self._worker = Worker(self.lazy.get(), self.settings)
                self._worker.start()
            return self._worker

    def wake(self) -> None:
        """A submission was queued: run it now (nothing when a standalone worker does)."""
        if self.enabled:
            self._started().wake()

    def depth(self) -> int | None:
        """Jobs waiting or running (``/metrics``); 0 before any database; None on a fault."""
        if self._sqlite_file is not None and not self._sqlite_file.is_file():
            return 0
        try:
            return queue.depth(self.lazy.get())
        except Exception:  # the gauge keeps its last value; /metrics still answers
            log.exception("profondeur de la file")
            return None

    def stop(self) -> None:
        with self._lock:
            if self._worker is not None:  # a job longer than that resumes at the next start
                self._worker.stop(timeout=self.settings.shutdown_seconds)
