"""The validation of a submitted version: the job a worker runs (``controlplane.worker``).

A version submitted by URL is downloaded first (``controlplane.fetch``: time and size
caps, every redirect checked), by the job, never by the request. Then it is ``ardoise
check``'s own path (:func:`ardoise.release.build.build_release` with
``publish=False`` and ``sources``: the same readers, normalisation, referential checks and
quality report), followed by the preview (``controlplane.preview``). Its result is written
with the end of the job, in one transaction; the organisation's reviewers are emailed when
the version waits for them. A job that fails leaves the submission ``echouee`` with a
French report; validation never publishes anything.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, update

from ardoise.controlplane import notices
from ardoise.controlplane.fetch import fetch_to
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.preview import Preview
from ardoise.controlplane.queue import Stage
from ardoise.controlplane.schema import soumissions
from ardoise.controlplane.submissions import (
    Submission,
    SubmissionState,
    folder,
    load,
    served_version,
    source_path,
)
from ardoise.release.build import build_release
from ardoise.release.manifest import DatasetEntry
from ardoise.settings import Settings
from ardoise.urls import Urls


@dataclass(frozen=True)
class Validated:
    """A validation's result, written by :meth:`write` with the end of its job."""

    submission: Submission
    state: SubmissionState
    report: dict[str, Any]
    base: str | None  # the served version it was checked against
    fetched: tuple[int, str] | None = None  # (bytes, SHA-256) of a version fetched by URL

    def write(self, conn: Connection) -> bool:
        facts: dict[str, object] = {}
        if self.fetched is not None:
            facts = {"octets": self.fetched[0], "empreinte": self.fetched[1]}
        done = conn.execute(
            update(soumissions)
            .where(
                soumissions.c.id == self.submission.id,
                soumissions.c.etat == SubmissionState.EN_ATTENTE.value,
            )
            .values(
                etat=self.state.value,
                rapport=json.dumps(self.report, ensure_ascii=False),
                version_base=self.base,
                **facts,
            )
        )
        return bool(done.rowcount)

    def announce(self, engine: Engine, settings: Settings, mailer: Mailer | None) -> None:
        """Email the organisation's reviewers (never the submitter) when it waits for them."""
        if self.state is not SubmissionState.A_RELIRE:
            return
        found = load(engine, self.submission.id)
        with engine.connect() as conn:
            to = notices.reviewers(conn, found.organisation_id, found.account_id)
        urls = Urls.of(settings.public_url)
        notices.send_later(mailer or Mailer(settings), [notices.waiting(to, found, urls)])


def validate(
    engine: Engine, settings: Settings, submission_id: str, stage: Callable[[Stage], None]
) -> Validated:
    """Check the submitted file of ``submission_id``; ``stage`` follows the steps."""
    found = load(engine, submission_id)
    fetched = _fetched(settings, found, stage) if found.source_url else None
    base = served_version(settings, found.dataset_id)
    preview = Preview(settings, found.dataset_id)

    def staged(build: Path, entries: dict[str, DatasetEntry]) -> None:
        stage(Stage.APERCU)
        preview(build, entries)

    def step(dataset_id: str, name: str) -> None:
        if dataset_id == found.dataset_id:
            stage(Stage(name))

    result = build_release(
        settings,
        [found.dataset_id],
        publish=False,
        sources={found.dataset_id: folder(settings, found.id)},
        staged=staged,
        stage=step,
    )
    report = next(o.report for o in result.outcomes if o.id == found.dataset_id)
    state = SubmissionState.A_RELIRE if report.valid else SubmissionState.BLOQUEE
    return Validated(found, state, report.to_json() | {"apercu": preview.result}, base, fetched)


def _fetched(
    settings: Settings, found: Submission, stage: Callable[[Stage], None]
) -> tuple[int, str]:
    """Download a version submitted by URL into its folder (again when a job is retried);
    nothing is kept when the download is refused or fails."""
    stage(Stage.LECTURE)
    base = folder(settings, found.id)
    target = base / source_path(settings, found.dataset_id, found.filename)
    shutil.rmtree(base, ignore_errors=True)
    try:
        size, sha, _final = fetch_to(settings, str(found.source_url), target)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    return size, sha


def failed(conn: Connection, submission_id: str, message: str) -> None:
    """The submission's job failed: ``echouee``, with ``message`` (French) as its report."""
    conn.execute(
        update(soumissions)
        .where(
            soumissions.c.id == submission_id,
            soumissions.c.etat == SubmissionState.EN_ATTENTE.value,
        )
        .values(etat=SubmissionState.ECHOUEE.value, rapport=json.dumps({"erreur": message}))
    )
