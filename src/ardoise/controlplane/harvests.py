"""Harvests on a schedule (issue #15): a dataset fetched from another catalogue every day,
week or month, a new version submitted only when the source changed.

A harvest names its source: the URL of a file (an Opendatasoft-compatible portal's export),
or the URL of a DCAT catalogue and the dataset's identifier in it
(:mod:`ardoise.controlplane.dcat_source` picks the distribution in the dataset's format).
``ardoise moissonner --dues`` (a systemd timer, ``deploy/ardoise-moisson.timer``) runs
:func:`run_due`: each harvest whose time has come is fetched through
:func:`ardoise.controlplane.fetch.fetch` (address checks, size and time caps) with
``If-None-Match`` / ``If-Modified-Since`` from its last answer; a 304 or a file with the
SHA-256 already seen submits nothing; a changed file is submitted
(:func:`ardoise.controlplane.submissions.submit`: checked, then reviewed by a person).
Every run is journaled (``moisson.executer``) and the next one scheduled one period later,
whatever happened (a failing source is retried then, its error kept on the harvest).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import PurePath
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, delete, select, update

from ardoise.catalog.declared import descriptor_path
from ardoise.catalog.loader import load_descriptor
from ardoise.controlplane import dcat_source, submissions
from ardoise.controlplane.datasets import owner
from ardoise.controlplane.errors import ControlPlaneError
from ardoise.controlplane.fetch import fetch
from ardoise.controlplane.journal import record
from ardoise.controlplane.permissions import OPERATOR, Action, Principal, authorize
from ardoise.controlplane.schema import moissons
from ardoise.errors import ArdoiseError
from ardoise.settings import Settings


class Frequency(StrEnum):
    QUOTIDIENNE = "quotidienne"
    HEBDOMADAIRE = "hebdomadaire"
    MENSUELLE = "mensuelle"


PERIOD = {
    Frequency.QUOTIDIENNE: timedelta(days=1),
    Frequency.HEBDOMADAIRE: timedelta(days=7),
    Frequency.MENSUELLE: timedelta(days=30),
}


@dataclass(frozen=True)
class Harvest:
    dataset_id: str
    organisation_id: str
    source: str  # a file's URL, or a DCAT catalogue's
    identifier: str | None  # the dataset in the DCAT catalogue (None: ``source`` is the file)
    frequency: Frequency
    due: datetime
    etag: str | None
    last_modified: str | None
    sha256: str | None
    last_run: datetime | None
    last_state: str | None


def _utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _harvest(row: object) -> Harvest:
    m = row._mapping  # type: ignore[attr-defined]
    due = _utc(m["prochaine"])
    assert due is not None
    return Harvest(
        m["dataset_id"], m["organisation_id"], m["source"], m["identifiant"],
        Frequency(m["frequence"]), due, m["etag"], m["modifie"], m["empreinte"],
        _utc(m["derniere"]), m["dernier_etat"],
    )  # fmt: skip


def schedule(
    conn: Connection,
    principal: Principal,
    dataset_id: str,
    source: str,
    frequency: Frequency | str,
    identifier: str | None = None,
    now: datetime | None = None,
) -> Harvest:
    """Harvest ``dataset_id`` from ``source`` every ``frequency`` (first run: now);
    replaces its previous schedule. ``identifier``: the dataset in a DCAT catalogue."""
    org = owner(conn, dataset_id)
    if org is None:
        raise ControlPlaneError(f"Le jeu « {dataset_id} » n'est déclaré par aucune organisation.")
    authorize(principal, Action.MOISSON_GERER, org)
    try:
        every = Frequency(frequency)
    except ValueError:
        allowed = ", ".join(f.value for f in Frequency)
        raise ControlPlaneError(f"Fréquence « {frequency} » inconnue ({allowed}).") from None
    source = source.strip()
    if urlsplit(source).scheme not in ("http", "https") or len(source) > 2000:
        raise ControlPlaneError("Source refusée : une adresse http:// ou https:// est attendue.")
    at = now or datetime.now(UTC)
    conn.execute(delete(moissons).where(moissons.c.dataset_id == dataset_id))
    conn.execute(
        moissons.insert().values(
            dataset_id=dataset_id, organisation_id=org, genre="dcat" if identifier else "url",
            source=source, identifiant=(identifier or "").strip() or None,
            frequence=every.value, prochaine=at, cree_le=at,
        )
    )  # fmt: skip
    record(conn, principal, "moisson.programmer", org, dataset_id,
           {"frequence": every.value, "genre": "dcat" if identifier else "url"})  # fmt: skip
    return get_harvest(conn, dataset_id)


def unschedule(conn: Connection, principal: Principal, dataset_id: str) -> None:
    found = get_harvest(conn, dataset_id)
    authorize(principal, Action.MOISSON_GERER, found.organisation_id)
    conn.execute(delete(moissons).where(moissons.c.dataset_id == dataset_id))
    record(conn, principal, "moisson.arreter", found.organisation_id, dataset_id)


def get_harvest(conn: Connection, dataset_id: str) -> Harvest:
    row = conn.execute(select(moissons).where(moissons.c.dataset_id == dataset_id)).first()
    if row is None:
        raise ControlPlaneError(f"Aucune moisson programmée pour le jeu « {dataset_id} ».")
    return _harvest(row)


def list_harvests(conn: Connection) -> list[Harvest]:
    return [_harvest(r) for r in conn.execute(select(moissons).order_by(moissons.c.dataset_id))]


def due(conn: Connection, now: datetime) -> list[Harvest]:
    """The harvests whose time has come at ``now``, the most overdue first."""
    return sorted((h for h in list_harvests(conn) if h.due <= now), key=lambda h: h.due)


@dataclass(frozen=True)
class Run:
    dataset_id: str
    changed: bool
    state: str  # in French
    submission_id: str | None = None


def _file_url(settings: Settings, h: Harvest, suffix: str, folder: PurePath) -> str:
    if h.identifier is None:
        return h.source
    document = settings.var_dir / "soumissions" / str(folder) / "catalogue"
    fetch(settings, h.source, document)
    return dcat_source.distribution_url(dcat_source.read_catalogue(document), h.identifier, suffix)


def harvest_one(engine: Engine, settings: Settings, h: Harvest, now: datetime) -> Run:
    """Fetch ``h``'s source; submit it if it changed; journal and reschedule either way."""
    path = descriptor_path(settings, h.dataset_id)
    suffix = PurePath(load_descriptor(path).sources[0].path).suffix if path else ".csv"
    folder = PurePath(f"moisson-{uuid.uuid4()}")
    target = settings.var_dir / "soumissions" / str(folder) / f"{h.dataset_id}{suffix}"
    etag, modified, sha = h.etag, h.last_modified, h.sha256
    try:
        url = _file_url(settings, h, suffix, folder)
        conditional = {"If-None-Match": etag} if etag else {}
        if modified:
            conditional["If-Modified-Since"] = modified
        got = fetch(settings, url, target, conditional)
        if got is None:
            run = Run(h.dataset_id, False, "inchangé (304 Not Modified)")
        elif got.sha256 == h.sha256:
            run = Run(h.dataset_id, False, "inchangé (même empreinte SHA-256)")
            etag, modified = got.etag, got.last_modified
        else:
            with open(target, "rb") as stream:
                s = submissions.submit(
                    engine, settings, OPERATOR, h.dataset_id, stream, target.name,
                    f"Moisson {h.frequency.value} de {urlsplit(url).netloc}",
                )  # fmt: skip
            etag, modified, sha = got.etag, got.last_modified, got.sha256
            run = Run(h.dataset_id, True, f"nouvelle version soumise ({s.state.value})", s.id)
    except ArdoiseError as exc:
        run = Run(h.dataset_id, False, f"échec : {exc}"[:300])
    finally:
        shutil.rmtree(settings.var_dir / "soumissions" / str(folder), ignore_errors=True)
    with engine.begin() as conn:
        conn.execute(
            update(moissons).where(moissons.c.dataset_id == h.dataset_id).values(
                prochaine=now + PERIOD[h.frequency], derniere=now, dernier_etat=run.state,
                etag=etag, modifie=modified, empreinte=sha,
            )
        )  # fmt: skip
        record(conn, OPERATOR, "moisson.executer", h.organisation_id, h.dataset_id,
               {"etat": run.state[:120], "soumission": run.submission_id})  # fmt: skip
    return run


def run_due(engine: Engine, settings: Settings, now: datetime | None = None) -> list[Run]:
    """Run every harvest due at ``now`` (default: the clock)."""
    at = now or datetime.now(UTC)
    with engine.connect() as conn:
        pending = due(conn, at)
    return [harvest_one(engine, settings, h, at) for h in pending]
