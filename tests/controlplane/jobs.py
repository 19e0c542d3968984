"""Test helpers for the validation queue (issue #15): run the worker until the queue is
idle, here in the test's thread, the same job ``ardoise serve``'s worker runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import BinaryIO

from httpx import Response
from sqlalchemy import Engine
from starlette.testclient import TestClient

from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.permissions import Principal
from ardoise.controlplane.queue import Stage, task_of
from ardoise.controlplane.submissions import Submission, load, submit
from ardoise.controlplane.validation import Validated, validate
from ardoise.controlplane.worker import Worker
from ardoise.settings import Settings


def drain(engine: Engine, settings: Settings) -> int:
    """Run every claimable job to its end; how many ran."""
    return Worker(engine, settings, mailer=Mailer(settings)).run_until_idle()


def validated(
    engine: Engine, settings: Settings, submission: Submission, timeout: float = 120.0
) -> Submission:
    """``submission`` once its validation ended: this thread runs the queue's jobs, or waits
    for the worker that holds it (an app's in-process worker)."""
    worker = Worker(engine, settings, mailer=Mailer(settings))
    deadline = time.monotonic() + timeout
    while (task := task_of(engine, submission.id)) is not None and task.running:
        assert time.monotonic() < deadline, f"validation toujours en cours : {task}"
        if not worker.run_once():
            time.sleep(0.02)
    return load(engine, submission.id)


def submitted(
    engine: Engine,
    settings: Settings,
    principal: Principal,
    dataset_id: str,
    stream: BinaryIO,
    filename: str,
    note: str | None = None,
) -> Submission:
    """Submit a version and run its validation (the queue's job) to its end."""
    queued = submit(engine, settings, principal, dataset_id, stream, filename, note)
    return validated(engine, settings, queued)


def api_validated(
    client: TestClient, url: str, headers: dict[str, str], timeout: float = 60.0
) -> dict[str, object]:
    """The Automation API's submission at ``url`` once its validation ended (the app's
    in-process worker runs it); fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, object] = client.get(url, headers=headers).json()
        if body["state"] != "en_attente":
            return body
        assert time.monotonic() < deadline, f"validation toujours en attente : {body}"
        time.sleep(0.05)


def page_validated(client: TestClient, url: str, timeout: float = 60.0) -> Response:
    """The submission's page at ``url`` once it stops refreshing itself (validation over),
    as a browser following its ``<meta http-equiv=refresh>`` would see it."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(url)
        if 'http-equiv="refresh"' not in page.text:
            return page
        assert time.monotonic() < deadline, "la page de la soumission se recharge encore"
        time.sleep(0.05)


class Held:
    """A job that stops at one stage until :meth:`go`: the test looks at the submission
    while its validation is, provably, still running."""

    def __init__(self, at: Stage) -> None:
        self.at, self.reached, self.released, self.seen = (
            at,
            threading.Event(),
            threading.Event(),
            [],
        )

    def __call__(
        self, engine: Engine, settings: Settings, sid: str, stage: Callable[[Stage], None]
    ) -> Validated:
        def step(s: Stage) -> None:
            self.seen.append(s)
            stage(s)
            if s is self.at:
                self.reached.set()
                assert self.released.wait(60), "le test n'a pas relâché la tâche"

        return validate(engine, settings, sid, step)

    def go(self) -> None:
        self.released.set()
