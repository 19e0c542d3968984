"""Submitting, reviewing and publishing a version (issue #15): the submitted file goes
through ingest's own path, blocking problems cannot be approved, the four-eyes rule holds,
and approval publishes a release where only that dataset changes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ardoise.controlplane import accounts, datasets, organisations
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.errors import ControlPlaneError, Forbidden
from ardoise.controlplane.permissions import OPERATOR, Principal
from ardoise.controlplane.submissions import SubmissionState, approve, folder, reject, submit
from ardoise.release.build import build_release
from ardoise.release.changelog import release_changelog
from ardoise.release.school_descriptors import DERIVED_IDS
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from tests.controlplane.jobs import drain, validated
from tests.fixtures import fake_referential

IPS = "test-ips-ecoles"


@pytest.fixture
def published(fixture_settings: Settings) -> Settings:
    result = build_release(fixture_settings, build_referential_fn=fake_referential)
    assert result.published
    return fixture_settings


@pytest.fixture
def cp(published: Settings, tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'controle.db'}")
    migrate(engine)
    with engine.begin() as conn:
        organisations.create_organisation(
            conn,
            OPERATOR,
            id="ministere",
            name="Ministère",
            siret="11004301500012",
            type="ministere",
        )
        datasets.claim_for_ministry(conn, OPERATOR, [IPS])
    return engine


def _people(engine: Engine) -> tuple[Principal, Principal]:
    """A contributor who is also a reviewer, and a second reviewer."""
    ids = []
    with engine.begin() as conn:
        for email, roles in (
            ("c@exemple.fr", ("contributeur", "relecteur")),
            ("r@exemple.fr", ("relecteur",)),
        ):
            account = accounts.create_local_account(
                conn, OPERATOR, email=email, name=email, password="x" * 12
            )
            for role in roles:
                organisations.add_member(conn, OPERATOR, "ministere", account.id, role)
            ids.append(account.id)
        return accounts.principal_of(conn, ids[0]), accounts.principal_of(conn, ids[1])


def _edited_ips(settings: Settings) -> bytes:
    text = (settings.mirror / "ips" / "ecoles.csv").read_text("utf-8")
    return text.replace(";106.2", ";107.4").encode("utf-8")


def test_a_version_is_checked_reviewed_by_another_person_and_published(
    published: Settings, cp: Engine
) -> None:
    store = ReleaseStore(published.var_dir)
    before = store.current_id()
    submitter, reviewer = _people(cp)
    data = _edited_ips(published)
    s = submit(cp, published, submitter, IPS, io.BytesIO(data), "ecoles.csv", note="IPS révisé")
    assert s.state is SubmissionState.EN_ATTENTE and s.bytes == len(data)  # queued
    s = validated(cp, published, s)
    assert s.state is SubmissionState.A_RELIRE
    assert s.report["dataset_id"] == IPS and s.report["valid"] is True
    assert store.current_id() == before  # checking publishes nothing
    with pytest.raises(Forbidden, match="quatre yeux"):
        approve(cp, published, submitter, s.id)
    done = approve(cp, published, reviewer, s.id, "vérifié")
    assert done.state is SubmissionState.PUBLIEE and done.release_id == store.current_id() != before
    log = release_changelog(published.releases_dir, str(done.release_id))
    assert [c.dataset_id for c in log.datasets] == [IPS]
    assert log.datasets[0].rows is not None and log.datasets[0].rows.revised == 1
    manifest = store.manifest(str(done.release_id))
    # the others are carried over by hash; the tables derived from them all (#18) are
    # recomputed, like the indicators
    carried = [
        d for d, e in manifest.datasets.items() if d != IPS and d not in DERIVED_IDS and e.parquet
    ]
    assert carried and all(manifest.datasets[d].carried_over_from == before for d in carried)
    with pytest.raises(ControlPlaneError, match="déjà publiee"):
        approve(cp, published, reviewer, s.id)


def test_a_blocked_version_cannot_be_approved_and_nothing_is_published(
    published: Settings, cp: Engine
) -> None:
    store = ReleaseStore(published.var_dir)
    before = store.current_id()
    submitter, reviewer = _people(cp)
    bad = b"colonne;autre\n1;2\n"
    s = validated(
        cp, published, submit(cp, published, submitter, IPS, io.BytesIO(bad), "ecoles.csv")
    )
    assert s.state is SubmissionState.BLOQUEE
    assert any(i["severity"] == "bloquant" for i in s.report["issues"])
    with pytest.raises(ControlPlaneError, match="bloquants"):
        approve(cp, published, reviewer, s.id)
    assert store.current_id() == before


def test_rejection_needs_a_comment(published: Settings, cp: Engine) -> None:
    submitter, reviewer = _people(cp)
    s = submit(cp, published, submitter, IPS, io.BytesIO(_edited_ips(published)), "ecoles.csv")
    s = validated(cp, published, s)
    with pytest.raises(ControlPlaneError, match="motive"):
        reject(cp, reviewer, s.id, " ")
    assert reject(cp, reviewer, s.id, "valeurs douteuses").state is SubmissionState.REFUSEE


def test_hostile_uploads_get_a_french_message_and_leave_nothing(
    published: Settings, cp: Engine
) -> None:
    submitter, _reviewer = _people(cp)
    small = published.replace(upload_max_mb=1)
    with pytest.raises(ControlPlaneError, match="trop volumineux"):
        submit(cp, small, submitter, IPS, io.BytesIO(b"x" * ((1 << 20) + 1)), "ecoles.csv")
    with pytest.raises(ControlPlaneError, match="Format inattendu"):
        submit(cp, published, submitter, IPS, io.BytesIO(b"PK"), "ecoles.xlsx")
    with pytest.raises(ControlPlaneError, match="vide"):
        submit(cp, published, submitter, IPS, io.BytesIO(b""), "ecoles.csv")
    with pytest.raises(ControlPlaneError, match="aucune organisation"):
        submit(cp, published, submitter, "test-calendrier", io.BytesIO(b"x"), "c.csv")
    assert not (published.var_dir / "soumissions").exists() or not any(
        (published.var_dir / "soumissions").iterdir()
    )
    outsider = Principal(account_id="inconnu")
    with pytest.raises(Forbidden):
        submit(cp, published, outsider, IPS, io.BytesIO(b"x"), "ecoles.csv")


def test_the_operator_submits_and_publishes_from_the_shell(
    published: Settings, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from ardoise.cli import app

    env = {
        "ARDOISE_VAR_DIR": str(published.var_dir),
        "ARDOISE_MIRROR": str(published.mirror),
        "ARDOISE_CATALOG_DIR": str(published.catalog_dir),
        "COLUMNS": "250",
    }
    runner = CliRunner()
    assert runner.invoke(app, ["organisations", "initialiser"], env=env).exit_code == 0
    edited = tmp_path / "ecoles.csv"
    edited.write_bytes(_edited_ips(published))
    out = runner.invoke(app, ["soumettre", IPS, str(edited), "--note", "IPS révisé"], env=env)
    assert out.exit_code == 0 and "à relire" in out.output, out.output
    submission_id = out.output.split()[1]
    assert (folder(published, submission_id) / "ips" / "ecoles.csv").is_file()
    listed = runner.invoke(app, ["soumissions", "lister", "ministere"], env=env)
    assert submission_id in listed.output
    done = runner.invoke(app, ["soumissions", "approuver", submission_id], env=env)
    assert done.exit_code == 0 and "Publiée" in done.output, done.output
    assert ReleaseStore(published.var_dir).current_id() in done.output
    bad = tmp_path / "vide.csv"
    bad.write_bytes(b"a;b\n1;2\n")
    out = runner.invoke(app, ["soumettre", IPS, str(bad)], env=env)
    assert out.exit_code == 1 and "bloquée" in out.output and "Traceback" not in out.output


def test_publication_waits_for_an_ingest_and_resumes(published: Settings, cp: Engine) -> None:
    store = ReleaseStore(published.var_dir)
    before = store.current_id()
    submitter, reviewer = _people(cp)
    s = submit(cp, published, submitter, IPS, io.BytesIO(_edited_ips(published)), "ecoles.csv")
    s = validated(cp, published, s)
    refused = pytest.raises(ControlPlaneError, match="Une autre ingestion est en cours")
    with store.lock(), refused:  # an `ardoise ingest` is running
        approve(cp, published, reviewer, s.id)
    assert store.current_id() == before
    assert approve(cp, published, reviewer, s.id).state is SubmissionState.PUBLIEE  # resumed


def test_an_older_submission_is_not_approved_over_a_newer_publication(
    published: Settings, cp: Engine
) -> None:
    submitter, reviewer = _people(cp)
    data = _edited_ips(published)
    first = submit(cp, published, submitter, IPS, io.BytesIO(data), "ecoles.csv")
    second = submit(
        cp, published, submitter, IPS, io.BytesIO(data.replace(b";107.4", b";108.0")), "ecoles.csv"
    )
    assert drain(cp, published) == 2
    approve(cp, published, reviewer, second.id)
    with pytest.raises(ControlPlaneError, match="soumettez-la à nouveau"):
        approve(cp, published, reviewer, first.id)
