"""Submitted versions of a dataset: upload, check, review (four eyes), publication.

A submission streams the producer's file to ``var/soumissions/<id>/`` (size cap: the
``upload_max_mb`` setting) and queues its validation (``controlplane.queue``): a worker
(``controlplane.worker``) runs ``ardoise check``'s own path on it
(``controlplane.validation``: :func:`ardoise.release.build.build_release` with ``sources``,
the same readers, normalisation, referential checks and quality report), never the web
request. Until then the submission is ``en_attente``. A version with blocking problems
is ``bloquee`` and can never be approved. A ``relecteur`` of the owning organisation who
is not the submitter approves it (publication of a new release in which only that dataset
is re-read, serialised with ``ardoise ingest`` by the release store's lock) or rejects it.
A failed publication (another ingest running, a crash) leaves the submission ``a_relire``:
approving again resumes it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePath
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from sqlalchemy import Engine, select, update

from ardoise.catalog.declared import descriptor_path
from ardoise.catalog.loader import load_descriptor
from ardoise.controlplane import notices, queue
from ardoise.controlplane.datasets import owner
from ardoise.controlplane.errors import ControlPlaneError, Forbidden, SubmissionNotFound
from ardoise.controlplane.fetch import check_url
from ardoise.controlplane.journal import record
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.permissions import Action, Principal, authorize
from ardoise.controlplane.schema import soumissions
from ardoise.errors import ArdoiseError
from ardoise.release.build import build_release
from ardoise.release.changelog import write_notes
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from ardoise.urls import Urls

_CHUNK = 1 << 20


class SubmissionState(StrEnum):
    EN_ATTENTE = "en_attente"  # stored, its validation job waits or runs (controlplane.queue)
    ECHOUEE = "echouee"  # the validation job failed: a French report, nothing published
    A_RELIRE = "a_relire"  # checked, no blocking problem: waits for a reviewer
    BLOQUEE = "bloquee"  # blocking problems: cannot be approved
    REFUSEE = "refusee"
    PUBLIEE = "publiee"


@dataclass(frozen=True)
class Submission:
    id: str
    dataset_id: str
    organisation_id: str
    account_id: str | None
    key_id: str | None
    filename: str
    bytes: int
    sha256: str
    note: str | None
    state: SubmissionState
    report: dict[str, Any]
    reviewer: str | None
    comment: str | None
    release_id: str | None
    source_url: str | None = None  # submitted by URL: fetched by the validation job

    @property
    def published(self) -> bool:
        return self.state is SubmissionState.PUBLIEE


def _submission(row: object) -> Submission:
    m = row._mapping  # type: ignore[attr-defined]
    return Submission(
        m["id"], m["dataset_id"], m["organisation_id"], m["compte_id"], m["cle_id"],
        m["fichier"], int(m["octets"]), m["empreinte"], m["note"], SubmissionState(m["etat"]),
        json.loads(m["rapport"]) if m["rapport"] else {}, m["relu_par"], m["commentaire"],
        m["release_id"], m["url_source"],
    )  # fmt: skip


def served_version(settings: Settings, dataset_id: str) -> str | None:
    """The SHA-256 of the dataset's Parquet file in the served release (None: none)."""
    store = ReleaseStore(settings.var_dir)
    current = store.current_id()
    entry = store.manifest(current).datasets.get(dataset_id) if current else None
    return entry.parquet.sha256 if entry is not None and entry.parquet is not None else None


def folder(settings: Settings, submission_id: str) -> Path:
    return settings.var_dir / "soumissions" / submission_id


def source_path(settings: Settings, dataset_id: str, filename: str) -> str:
    """Where the file goes in its submission folder: the descriptor's source path."""
    path = descriptor_path(settings, dataset_id)  # the catalog's or a declared one
    if path is None:
        raise ControlPlaneError(f"Le jeu « {dataset_id} » n'a pas de descripteur au catalogue.")
    ds = load_descriptor(path)
    if len(ds.sources) != 1:
        raise ControlPlaneError(
            f"Le jeu « {dataset_id} » a {len(ds.sources)} fichiers sources : une soumission "
            "n'en remplace qu'un (jeux à un seul fichier)."
        )
    expected = PurePath(ds.sources[0].path).suffix.lower()
    got = PurePath(filename).suffix.lower()
    if got != expected:
        raise ControlPlaneError(
            f"Format inattendu : « {PurePath(filename).name} » ; le jeu « {dataset_id} » "
            f"attend un fichier {expected or 'sans extension'}."
        )
    return ds.sources[0].path


def _store(stream: BinaryIO, target: Path, cap: int) -> tuple[int, str]:
    """Copy ``stream`` to ``target`` in chunks, at most ``cap`` bytes (else nothing kept)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                break
            digest.update(chunk)
            out.write(chunk)
    if size > cap:
        raise ControlPlaneError(
            f"Fichier trop volumineux : plus de {cap // (1 << 20)} Mo (réglage upload_max_mb)."
        )
    if size == 0:
        raise ControlPlaneError("Le fichier envoyé est vide.")
    return size, digest.hexdigest()


def submit(
    engine: Engine,
    settings: Settings,
    principal: Principal,
    dataset_id: str,
    stream: BinaryIO,
    filename: str,
    note: str | None = None,
    *,
    wake: Callable[[], None] | None = None,
) -> Submission:
    """Store a new version of ``dataset_id`` and queue its validation: the submission,
    ``en_attente`` (``controlplane.validation`` runs in a worker, then it is ``a_relire``
    or ``bloquee`` with its quality report). ``wake`` tells an in-process worker."""
    with engine.connect() as conn:
        org = owner(conn, dataset_id)
    if org is None:
        raise ControlPlaneError(f"Le jeu « {dataset_id} » n'est déclaré par aucune organisation.")
    authorize(principal, Action.VERSION_SOUMETTRE, org)
    relative = source_path(settings, dataset_id, filename)
    submission_id = str(uuid.uuid4())
    base = folder(settings, submission_id)
    try:
        size, sha = _store(stream, base / relative, settings.upload_max_mb << 20)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    facts = {"fichier": PurePath(filename).name[:300], "octets": size, "empreinte": sha}
    return _create(engine, settings, principal, org, dataset_id, submission_id, facts, note, wake)


def _create(
    engine: Engine, settings: Settings, principal: Principal, org: str, dataset_id: str,
    submission_id: str, facts: dict[str, Any], note: str | None,
    wake: Callable[[], None] | None,
) -> Submission:  # fmt: skip
    """The submission ``en_attente`` and its validation job, in one transaction."""
    with engine.begin() as conn:
        conn.execute(
            soumissions.insert().values(
                id=submission_id, dataset_id=dataset_id, organisation_id=org,
                compte_id=principal.account_id, cle_id=principal.key_id, note=note,
                etat=SubmissionState.EN_ATTENTE.value, rapport=None, cree_le=datetime.now(UTC),
                version_base=served_version(settings, dataset_id), **facts,
            )
        )  # fmt: skip
        queue.enqueue(conn, submission_id)
        record(conn, principal, Action.VERSION_SOUMETTRE, org, submission_id,
               {"jeu": dataset_id, "octets": facts["octets"], "etat": SubmissionState.EN_ATTENTE.value})  # fmt: skip
    if wake is not None:
        wake()
    return load(engine, submission_id)  # the submitter sees what it sent, whatever its scopes


def load(engine: Engine, submission_id: str) -> Submission:
    with engine.connect() as conn:
        row = conn.execute(select(soumissions).where(soumissions.c.id == submission_id)).first()
    if row is None:
        raise SubmissionNotFound(f"Aucune soumission « {submission_id} ».")
    return _submission(row)


def _base(engine: Engine, submission_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(soumissions.c.version_base).where(soumissions.c.id == submission_id)
        ).scalar_one_or_none()


def get_submission(engine: Engine, principal: Principal, submission_id: str) -> Submission:
    found = load(engine, submission_id)
    authorize(principal, Action.SOUMISSION_LIRE, found.organisation_id)
    return found


def list_submissions(
    engine: Engine, principal: Principal, organisation_id: str
) -> list[Submission]:
    authorize(principal, Action.SOUMISSION_LIRE, organisation_id)
    query = (
        select(soumissions)
        .where(soumissions.c.organisation_id == organisation_id)
        .order_by(soumissions.c.cree_le.desc())
    )
    with engine.connect() as conn:
        return [_submission(r) for r in conn.execute(query)]


def _reviewable(principal: Principal, found: Submission) -> None:
    authorize(principal, Action.SOUMISSION_RELIRE, found.organisation_id)
    same_person = principal.account_id is not None and principal.account_id == found.account_id
    same_key = principal.key_id is not None and principal.key_id == found.key_id
    if same_person or same_key:
        raise Forbidden("Principe des quatre yeux : une autre personne que l'auteur doit relire.")
    if found.state is SubmissionState.BLOQUEE:
        raise ControlPlaneError(
            "Cette version a des problèmes bloquants : elle ne peut être approuvée."
        )
    if found.state is SubmissionState.EN_ATTENTE:
        raise ControlPlaneError(
            "Cette version est encore en cours de validation : attendez son rapport."
        )
    if found.state is SubmissionState.ECHOUEE:
        raise ControlPlaneError(
            "La validation de cette version a échoué : elle ne peut être relue ; soumettez à "
            "nouveau le fichier."
        )
    if found.state is not SubmissionState.A_RELIRE:
        raise ControlPlaneError(f"Cette soumission est déjà {found.state.value.replace('_', ' ')}.")


def _close(
    engine: Engine, principal: Principal, found: Submission, state: SubmissionState,
    comment: str | None, release_id: str | None, mailer: Mailer | None,
) -> Submission:  # fmt: skip
    reviewer = principal.account_id or principal.key_id
    with engine.begin() as conn:
        done = conn.execute(
            update(soumissions)
            .where(soumissions.c.id == found.id, soumissions.c.etat == SubmissionState.A_RELIRE.value)
            .values(etat=state.value, relu_par=reviewer, relu_le=datetime.now(UTC),
                    commentaire=comment, release_id=release_id)
        )  # fmt: skip
        if not done.rowcount:
            raise ControlPlaneError("Cette soumission vient d'être relue par quelqu'un d'autre.")
        action = "soumission.publier" if state is SubmissionState.PUBLIEE else "soumission.refuser"
        record(conn, principal, action, found.organisation_id, found.id,
               {"jeu": found.dataset_id, "release": release_id})  # fmt: skip
    closed = load(engine, found.id)
    if mailer is not None:
        with engine.connect() as conn:
            to = notices.submitter(conn, closed)
        if to:
            urls = Urls.of(mailer.public_url)
            notices.send_later(mailer, [notices.decided(to, closed, urls)])
    return closed


def reject(
    engine: Engine, principal: Principal, submission_id: str, comment: str,
    mailer: Mailer | None = None,
) -> Submission:  # fmt: skip
    """Refuse with a comment; the submitter is emailed when ``mailer`` is given."""
    found = load(engine, submission_id)
    _reviewable(principal, found)
    if not comment.strip():
        raise ControlPlaneError("Un refus se motive : ajoutez un commentaire.")
    return _close(engine, principal, found, SubmissionState.REFUSEE, comment, None, mailer)


def approve(
    engine: Engine, settings: Settings, principal: Principal, submission_id: str,
    comment: str | None = None, mailer: Mailer | None = None,
) -> Submission:  # fmt: skip
    """Approve and publish: a new release where only this dataset is re-read (from the
    submitted file), the others carried over by hash; atomic switch. The submitter is
    emailed (``mailer``: the settings' SMTP server by default)."""
    found = load(engine, submission_id)
    _reviewable(principal, found)
    if served_version(settings, found.dataset_id) != _base(engine, found.id):
        raise ControlPlaneError(
            f"Une autre version du jeu « {found.dataset_id} » a été publiée depuis cette "
            "soumission : elle a été vérifiée contre l'ancienne ; soumettez-la à nouveau."
        )
    base = folder(settings, found.id)
    try:
        notes = {found.dataset_id: found.note or ""}
        result = build_release(
            settings,
            [found.dataset_id],
            sources={found.dataset_id: base},
            staged=lambda build, _entries: write_notes(build, notes),  # the changelog's note
        )
    except (ArdoiseError, OSError) as exc:  # the lock held, a store or disk fault: resumable
        raise ControlPlaneError(f"Publication impossible pour l'instant : {exc}") from exc
    outcome = next(o for o in result.outcomes if o.id == found.dataset_id)
    if not outcome.report.valid:
        raise ControlPlaneError("La version n'a pas passé la vérification à la publication.")
    return _close(
        engine, principal, found, SubmissionState.PUBLIEE, comment, result.release_id,
        mailer or Mailer(settings),
    )  # fmt: skip


def submit_url(
    engine: Engine, settings: Settings, principal: Principal, dataset_id: str, url: str,
    note: str | None = None, *, wake: Callable[[], None] | None = None,
) -> Submission:  # fmt: skip
    """Submit the version at ``url``: refused at once when ``controlplane.fetch`` would
    refuse it before connecting (scheme, private address unless allowed); fetched by the
    validation job (time and size caps, every redirect checked), never by the request."""
    with engine.connect() as conn:
        org = owner(conn, dataset_id)
    if org is None:
        raise ControlPlaneError(f"Le jeu « {dataset_id} » n'est déclaré par aucune organisation.")
    authorize(principal, Action.VERSION_SOUMETTRE, org)  # before anything is fetched
    url = url.strip()
    check_url(settings, url)
    path = descriptor_path(settings, dataset_id)  # the catalog's or a declared one
    expected = PurePath(load_descriptor(path).sources[0].path).suffix if path else ""
    name = PurePath(urlsplit(url).path).name
    if PurePath(name).suffix.lower() != expected.lower():
        name = f"{dataset_id}{expected}"  # an export URL (…/exports/csv): the expected format
    source_path(settings, dataset_id, name)  # one source file, in the expected format
    facts = {"fichier": name[:300], "octets": 0, "empreinte": "", "url_source": url}
    return _create(
        engine, settings, principal, org, dataset_id, str(uuid.uuid4()), facts, note, wake
    )
