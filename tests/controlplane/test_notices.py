"""Emails of a submission (issue #15), against an SMTP sink on loopback: the reviewers
(not the submitter) when a version waits, the submitter when it is published or refused;
a blocked version emails nobody; an SMTP server down never fails the action."""

from __future__ import annotations

import io

from sqlalchemy import Engine

from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.submissions import SubmissionState, approve, reject, submit
from ardoise.release.changelog import release_changelog
from ardoise.settings import Settings
from tests.controlplane.jobs import validated
from tests.controlplane.test_submissions import IPS, _edited_ips, _people, cp, published
from tests.identity import SmtpSink, free_port, signin_settings

__all__ = ["cp", "published"]  # the fixtures, shared with test_submissions


def _body(message: object) -> str:
    return message.get_payload(decode=True).decode("utf-8")  # type: ignore[attr-defined]


def test_reviewers_then_the_submitter_are_emailed(
    published: Settings, cp: Engine, smtp_sink: SmtpSink
) -> None:
    settings = signin_settings(published, sink=smtp_sink)
    submitter, reviewer = _people(cp)  # c@ (contributor + reviewer), r@ (reviewer)
    s = submit(
        cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv", "IPS 2024"
    )
    assert smtp_sink.wait(1, timeout=0.5) == []  # nobody is told before the version is checked
    s = validated(cp, settings, s)
    (waiting,) = smtp_sink.wait(1)
    assert waiting["To"] == "r@exemple.fr"  # the submitter is a reviewer too, but not of its own
    assert IPS in waiting["Subject"] and "relecture" in waiting["Subject"]
    body = _body(waiting)
    assert f"/producteurs/soumissions/{s.id}" in body and "IPS 2024" in body
    done = approve(cp, settings, reviewer, s.id, "Vérifié, merci.")
    assert done.state is SubmissionState.PUBLIEE
    _, decided = smtp_sink.wait(2)
    assert decided["To"] == "c@exemple.fr" and "publiée" in decided["Subject"]
    assert "Vérifié, merci." in _body(decided) and str(done.release_id) in _body(decided)
    log = release_changelog(settings.releases_dir, str(done.release_id))
    assert [(c.dataset_id, c.note) for c in log.datasets] == [(IPS, "IPS 2024")]  # the note


def test_a_refusal_is_emailed_with_its_reason(
    published: Settings, cp: Engine, smtp_sink: SmtpSink
) -> None:
    settings = signin_settings(published, sink=smtp_sink)
    submitter, reviewer = _people(cp)
    s = submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
    s = validated(cp, settings, s)
    smtp_sink.wait(1)
    reject(cp, reviewer, s.id, "Colonne secteur à revoir.", Mailer(settings))
    messages = smtp_sink.wait(2)
    assert len(messages) == 2
    assert messages[1]["To"] == "c@exemple.fr" and "refusée" in messages[1]["Subject"]
    assert "Colonne secteur à revoir." in _body(messages[1])


def test_a_blocked_version_waits_for_nobody(
    published: Settings, cp: Engine, smtp_sink: SmtpSink
) -> None:
    settings = signin_settings(published, sink=smtp_sink)
    submitter, _ = _people(cp)
    broken = b"pas;le;bon;schema\n1;2;3;4\n"
    s = validated(
        cp, settings, submit(cp, settings, submitter, IPS, io.BytesIO(broken), "ecoles.csv")
    )
    assert s.state is SubmissionState.BLOQUEE
    assert smtp_sink.wait(1, timeout=1.0) == []


def test_an_smtp_server_down_never_fails_the_action(published: Settings, cp: Engine) -> None:
    down = published.replace(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False)
    submitter, reviewer = _people(cp)
    s = submit(cp, down, submitter, IPS, io.BytesIO(_edited_ips(down)), "ecoles.csv")
    s = validated(cp, down, s)
    assert approve(cp, down, reviewer, s.id).state is SubmissionState.PUBLIEE
