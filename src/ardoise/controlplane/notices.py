"""The emails of a submission's life (issue #15): to the organisation's reviewers when a
version waits for them (never to its submitter: four eyes), and to the submitter when it
is published or refused, with the reviewer's comment. Who to write to is read from the
control plane; the body carries ids, counts and links, never file content.

The mails are built here and sent by :class:`~.mail.Mailer` in a thread, after the
action's transaction committed: a slow or failing SMTP server never delays nor undoes it.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from sqlalchemy import Connection, select

from ardoise.controlplane.mail import Mail, Mailer
from ardoise.controlplane.permissions import Role
from ardoise.controlplane.schema import cles, comptes, membres
from ardoise.urls import Urls


class Submission(Protocol):
    """What a mail says of a submission (``submissions.Submission`` has it)."""

    @property
    def id(self) -> str: ...
    @property
    def dataset_id(self) -> str: ...
    @property
    def account_id(self) -> str | None: ...
    @property
    def key_id(self) -> str | None: ...
    @property
    def filename(self) -> str: ...
    @property
    def bytes(self) -> int: ...
    @property
    def note(self) -> str | None: ...
    @property
    def report(self) -> dict[str, Any]: ...
    @property
    def comment(self) -> str | None: ...
    @property
    def release_id(self) -> str | None: ...
    @property
    def published(self) -> bool: ...


def reviewers(conn: Connection, organisation_id: str, except_account: str | None) -> list[str]:
    """Emails of the organisation's active ``relecteur`` members, but ``except_account``."""
    query = (
        select(comptes.c.email)
        .join(membres, membres.c.compte_id == comptes.c.id)
        .where(
            membres.c.organisation_id == organisation_id,
            membres.c.role == Role.RELECTEUR.value,
            comptes.c.desactive_le.is_(None),
        )
        .order_by(comptes.c.email)
    )
    if except_account is not None:
        query = query.where(comptes.c.id != except_account)
    return [str(e) for e in conn.execute(query).scalars()]


def submitter(conn: Connection, found: Submission) -> str | None:
    """The submitter's email: its account's, or the account that created its API key."""
    account = found.account_id
    if account is None and found.key_id is not None:
        account = conn.execute(
            select(cles.c.cree_par).where(cles.c.id == found.key_id)
        ).scalar_one_or_none()
    if account is None:
        return None
    return conn.execute(select(comptes.c.email).where(comptes.c.id == account)).scalar_one_or_none()


def waiting(to: list[str], found: Submission, urls: Urls) -> Mail:
    issues = found.report.get("issues") or []
    return Mail(
        tuple(to),
        f"[Ardoise] Une version de « {found.dataset_id} » attend votre relecture",
        "Bonjour,\n\n"
        f"Une nouvelle version du jeu « {found.dataset_id} » a été soumise "
        f"({found.filename}, {found.bytes} octets) et vérifiée sans problème bloquant "
        f"({len(issues)} remarque(s) au rapport).\n\n"
        f"Note du producteur : {found.note or '(aucune)'}\n\n"
        f"Relisez-la, puis approuvez ou refusez : {urls.submission_page(found.id)}\n\n"
        "Principe des quatre yeux : l'auteur de la soumission ne peut pas la relire.\n",
    )


def decided(to: str, found: Submission, urls: Urls) -> Mail:
    published = found.published
    verdict = "publiée" if published else "refusée"
    lines = [
        "Bonjour,\n",
        f"Votre version du jeu « {found.dataset_id} » ({found.filename}) a été {verdict}.",
    ]
    if found.comment:
        lines.append(f"\nCommentaire du relecteur : {found.comment}")
    if published and found.release_id:
        lines.append(f"\nElle est servie dans la version des données {found.release_id}.")
    lines.append(f"\nLa soumission : {urls.submission_page(found.id)}\n")
    return Mail(
        (to,), f"[Ardoise] Votre version de « {found.dataset_id} » est {verdict}", "\n".join(lines)
    )


def send_later(mailer: Mailer | None, mails: list[Mail]) -> threading.Thread | None:
    """Send ``mails`` in a (non-daemon: a CLI waits for it) thread; None if nothing to send."""
    mails = [m for m in mails if m.to]
    if mailer is None or not mailer.enabled or not mails:
        return None
    thread = threading.Thread(target=mailer.send_all, args=(mails,), name="ardoise-mail")
    thread.start()
    return thread
