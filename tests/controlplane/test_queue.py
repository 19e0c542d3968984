"""The validation queue (issue #15), on SQLite and on the real PostgreSQL: a submission
completes through the queue; the web request answers before its validation ends (a job
held on an event, not timings); its stages are visible on the page and in the Automation
API; a failing job gives a French report and publishes nothing; a worker killed mid-job
is taken over once its lease expires; two validations of one dataset still serialise;
the queue's depth is on /metrics."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text, update
from starlette.testclient import TestClient

from ardoise.controlplane import datasets, dispatch, keys, organisations, queue
from ardoise.controlplane.errors import ControlPlaneError
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.queue import Stage, TaskState
from ardoise.controlplane.schema import taches
from ardoise.controlplane.submissions import SubmissionState, approve, load, submit
from ardoise.controlplane.validation import Validated
from ardoise.controlplane.worker import Worker, in_process
from ardoise.release.build import build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.controlplane.jobs import Held, drain
from tests.controlplane.test_submissions import IPS, _edited_ips, _people
from tests.fixtures import fake_referential

API = "/api/producteurs/v1"
Step = Callable[[Stage], None]


@pytest.fixture
def settings(fixture_settings: Settings, cp_url: str) -> Settings:
    assert build_release(fixture_settings, build_referential_fn=fake_referential).published
    return fixture_settings.replace(
        controlplane_database_url=cp_url, queue_worker_in_process="non", queue_lease_s=1
    )


@pytest.fixture
def cp(engine: Engine) -> Engine:
    with engine.begin() as conn:
        organisations.create_organisation(
            conn, OPERATOR, id="ministere", name="Ministère", siret="11004301500012",
            type="ministere",
        )  # fmt: skip
        datasets.claim_for_ministry(conn, OPERATOR, [IPS])
    return engine


@pytest.fixture
def running() -> Iterator[Callable[[Worker], threading.Thread]]:
    threads: list[threading.Thread] = []

    def one_job(worker: Worker) -> None:  # as soon as one is queued
        deadline = time.monotonic() + 120
        while not worker.run_once() and time.monotonic() < deadline:
            time.sleep(0.02)

    def start(worker: Worker) -> threading.Thread:
        thread = threading.Thread(target=one_job, args=(worker,), daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start
    for thread in threads:
        thread.join(60)


def test_a_submission_completes_through_the_queue(settings: Settings, cp: Engine) -> None:
    submitter, reviewer = _people(cp)
    s = submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
    assert s.state is SubmissionState.EN_ATTENTE and s.report == {}
    task = queue.task_of(cp, s.id)
    assert task is not None and task.state is TaskState.EN_ATTENTE and queue.depth(cp) == 1
    assert drain(cp, settings) == 1
    done = load(cp, s.id)
    assert done.state is SubmissionState.A_RELIRE and done.report["valid"] is True
    assert done.report["apercu"]["lignes"]["modifiees"] == 1  # the preview, in the job too
    task = queue.task_of(cp, s.id)
    assert task is not None and task.state is TaskState.TERMINEE and task.percent == 100
    assert queue.depth(cp) == 0 and drain(cp, settings) == 0
    with pytest.raises(ControlPlaneError, match="en cours de validation"):
        approve(cp, settings, reviewer, submit(cp, settings, submitter, IPS,
                io.BytesIO(_edited_ips(settings)), "ecoles.csv").id)  # fmt: skip
    assert approve(cp, settings, reviewer, s.id).state is SubmissionState.PUBLIEE


def test_the_request_answers_before_the_validation_ends_and_shows_its_stages(
    settings: Settings, cp: Engine, running: Callable[[Worker], threading.Thread]
) -> None:
    with cp.begin() as conn:
        _key, secret = keys.create_key(conn, OPERATOR, "ministere", "robot", ["lire", "soumettre"])
    auth = {"Authorization": f"Bearer {secret}"}
    held = Held(Stage.CONTROLES)
    worker = running(Worker(cp, settings, job=held))  # waits for the job to be queued
    files = {"fichier": ("ecoles.csv", _edited_ips(settings), "text/csv")}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        sent = client.post(f"{API}/jeux/{IPS}/versions", files=files, headers=auth)
        assert sent.status_code == 202 and sent.json()["state"] == "en_attente", sent.text
        assert held.reached.wait(60)  # the worker is inside the validation, held there
        assert load(cp, sent.json()["id"]).state is SubmissionState.EN_ATTENTE
        body = client.get(sent.json()["url"].removeprefix(settings.public_url), headers=auth)
        progress = body.json()["validation"]
        assert body.json()["state"] == "en_attente"
        assert (progress["etat"], progress["etape"], progress["avancement"]) == (
            "en_cours", "controles", 50,
        )  # fmt: skip
        assert held.seen == [Stage.LECTURE, Stage.NORMALISATION, Stage.CONTROLES]
        held.go()
        worker.join(60)
        body = client.get(f"{API}/soumissions/{sent.json()['id']}", headers=auth).json()
    assert body["state"] == "a_relire" and body["validation"]["etat"] == "terminee"
    assert held.seen[-1] is Stage.APERCU


def test_a_failed_job_gives_a_french_report_and_publishes_nothing(
    settings: Settings, cp: Engine
) -> None:
    store = ReleaseStore(settings.var_dir)
    before = store.current_id()
    submitter, reviewer = _people(cp)

    def broken(_engine: Engine, _settings: Settings, _sid: str, stage: Step) -> Validated:
        stage(Stage.LECTURE)
        raise RuntimeError("disque arraché")

    s = submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
    assert Worker(cp, settings, job=broken).run_until_idle() == 1
    failed = load(cp, s.id)
    assert failed.state is SubmissionState.ECHOUEE
    assert "erreur interne" in failed.report["erreur"] and "disque" not in failed.report["erreur"]
    task = queue.task_of(cp, s.id)
    assert task is not None and task.state is TaskState.ECHOUEE and task.error
    with pytest.raises(ControlPlaneError, match="a échoué"):
        approve(cp, settings, reviewer, s.id)
    assert store.current_id() == before and drain(cp, settings) == 0  # not retried


def test_a_worker_killed_mid_job_is_taken_over(
    settings: Settings, cp: Engine, tmp_path: Path
) -> None:
    submitter, _ = _people(cp)
    s = submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
    inside = tmp_path / "dans-la-tache"
    script = textwrap.dedent(f"""
        import pathlib, time
        from ardoise.controlplane.database import make_engine
        from ardoise.controlplane.validation import validate
        from ardoise.controlplane.worker import Worker
        from ardoise.settings import load_settings

        def job(engine, settings, sid, stage):
            def step(s):
                stage(s)
                pathlib.Path({str(inside)!r}).write_text(s.value)
                time.sleep(3600)  # killed here, inside the validation
            return validate(engine, settings, sid, step)

        settings = load_settings()
        Worker(make_engine(settings.controlplane_database_url.reveal()), settings, job=job).run_once()
    """)
    env = _child_env(settings)
    child = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 120
        while not inside.exists():
            assert child.poll() is None and time.monotonic() < deadline, "pas de tâche lancée"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    task = queue.task_of(cp, s.id)
    assert task is not None and task.state is TaskState.EN_COURS and task.attempts == 1
    assert load(cp, s.id).state is SubmissionState.EN_ATTENTE  # nothing half-written
    time.sleep(1.2)  # the dead worker's lease (1 s) expires
    assert drain(cp, settings) == 1  # taken over, run again from the start
    task = queue.task_of(cp, s.id)
    assert task is not None and task.state is TaskState.TERMINEE and task.attempts == 2
    assert load(cp, s.id).state is SubmissionState.A_RELIRE


def test_a_job_interrupted_too_often_fails_with_a_clear_message(
    settings: Settings, cp: Engine
) -> None:
    submitter, _ = _people(cp)
    s = submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
    once = settings.replace(queue_max_attempts=1)
    assert queue.claim(cp, "travailleur-mort", once.queue_lease_s) is not None  # then no beat
    assert drain(cp, once) == 0  # its lease still runs: nobody else takes it
    time.sleep(1.2)
    assert drain(cp, once) == 1
    failed = load(cp, s.id)
    assert (
        failed.state is SubmissionState.ECHOUEE and "interrompue 1 fois" in failed.report["erreur"]
    )


def test_two_validations_of_one_dataset_serialise(
    settings: Settings, cp: Engine, running: Callable[[Worker], threading.Thread]
) -> None:
    submitter, reviewer = _people(cp)
    data = _edited_ips(settings)
    first = submit(cp, settings, submitter, IPS, io.BytesIO(data), "ecoles.csv")
    second = submit(
        cp, settings, submitter, IPS, io.BytesIO(data.replace(b";107.4", b";108.0")), "ecoles.csv"
    )
    held = Held(Stage.CONTROLES)
    holder = running(Worker(cp, settings, job=held, name="premier"))
    assert held.reached.wait(60)  # the first validation holds the release store
    other = Worker(cp, settings, name="second")
    other.busy_retry_s = 0.2
    assert other.run_once()  # the second job meets the lock: given back, not failed
    task = queue.task_of(cp, second.id)
    assert task is not None and task.state is TaskState.EN_ATTENTE and task.attempts == 0
    held.go()
    holder.join(60)
    time.sleep(0.3)
    assert drain(cp, settings) == 1
    assert {load(cp, x.id).state for x in (first, second)} == {SubmissionState.A_RELIRE}
    approve(cp, settings, reviewer, second.id)
    with pytest.raises(ControlPlaneError, match="soumettez-la à nouveau"):
        approve(cp, settings, reviewer, first.id)


def test_the_queue_depth_is_on_metrics(settings: Settings, cp: Engine) -> None:
    submitter, _ = _people(cp)
    with TestClient(create_app(settings)) as client:
        submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
        assert "ardoise_queue_depth 1.0" in client.get("/metrics").text
        drain(cp, settings)
        assert "ardoise_queue_depth 0.0" in client.get("/metrics").text


def test_a_crash_mid_publication_keeps_the_release_served_and_the_submission_resumable(
    settings: Settings, cp: Engine
) -> None:
    """The approving process is SIGKILLed between placing the new release and switching
    to it: the previous release stays served, the submission waits, approving resumes."""
    store = ReleaseStore(settings.var_dir)
    before = store.current_id()
    submitter, reviewer = _people(cp)
    s = submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
    assert drain(cp, settings) == 1
    script = textwrap.dedent(f"""
        import os, signal
        from ardoise.controlplane.database import make_engine
        from ardoise.controlplane.permissions import OPERATOR
        from ardoise.controlplane.submissions import approve
        from ardoise.release.store import ReleaseStore
        from ardoise.settings import load_settings

        ReleaseStore.switch = lambda self, release_id: os.kill(os.getpid(), signal.SIGKILL)
        settings = load_settings()
        approve(make_engine(settings.controlplane_database_url.reveal()), settings, OPERATOR,
                {s.id!r})
    """)
    done = subprocess.run([sys.executable, "-c", script], env=_child_env(settings), timeout=300)
    assert done.returncode == -signal.SIGKILL
    assert store.current_id() == before  # the previous release is served, whole
    assert load(cp, s.id).state is SubmissionState.A_RELIRE
    # release ids have one-second resolution: the killed process's placed (never served)
    # release would collide with a resumption in the same second ("existe déjà")
    time.sleep(1.1)
    resumed = approve(cp, settings, reviewer, s.id)
    assert resumed.state is SubmissionState.PUBLIEE and store.current_id() == resumed.release_id
    assert resumed.release_id != before


def _child_env(settings: Settings) -> dict[str, str]:
    """The environment of a child process with the test's settings."""
    return os.environ | {
        "PYTHONPATH": str(Path("src").resolve()) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "ARDOISE_VAR_DIR": str(settings.var_dir), "ARDOISE_MIRROR": str(settings.mirror),
        "ARDOISE_CATALOG_DIR": str(settings.catalog_dir),
        "ARDOISE_CONTROLPLANE_DATABASE_URL": settings.controlplane_database_url.reveal(),
        "ARDOISE_NODE_MODULES": str(settings.node_modules),
        "ARDOISE_QUEUE_LEASE_S": str(settings.queue_lease_s),
    }  # fmt: skip


def test_the_operator_queues_then_a_standalone_worker_validates(
    settings: Settings, cp: Engine, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from ardoise.cli import app

    env = _child_env(settings) | {"COLUMNS": "250"}
    edited = tmp_path / "ecoles.csv"
    edited.write_bytes(_edited_ips(settings))
    runner = CliRunner()
    out = runner.invoke(app, ["soumettre", IPS, str(edited), "--sans-attendre"], env=env)
    assert out.exit_code == 0 and "en attente de validation" in out.output, out.output
    sid = out.output.split()[1]
    assert queue.depth(cp) == 1
    waiting = runner.invoke(app, ["soumissions", "voir", sid], env=env)
    assert "Validation en attente (pas commencée)" in waiting.output, waiting.output
    ran = runner.invoke(app, ["travailleur", "--jusqu-au-vide"], env=env)
    assert ran.exit_code == 0 and "1 tâche(s) exécutée(s)" in ran.output, ran.output
    shown = runner.invoke(app, ["soumissions", "voir", sid], env=env)
    assert "à relire" in shown.output and queue.depth(cp) == 0


@pytest.mark.parametrize(
    ("choice", "url", "runs"),
    [
        ("auto", "sqlite:///var/controle.db", True),
        ("auto", "postgresql://h/db", False),
        ("oui", "postgresql://h/db", True),
        ("non", "sqlite:///var/controle.db", False),
    ],
)
def test_where_the_worker_runs(
    fixture_settings: Settings, choice: str, url: str, runs: bool
) -> None:
    assert in_process(fixture_settings.replace(queue_worker_in_process=choice), url) is runs


def test_an_unknown_worker_setting_is_refused_in_french(fixture_settings: Settings) -> None:
    with pytest.raises(ControlPlaneError, match="attendu auto, oui ou non"):
        in_process(fixture_settings.replace(queue_worker_in_process="peut-être"), "sqlite://")


def test_a_worker_that_lost_its_job_writes_nothing(
    settings: Settings, cp: Engine, running: Callable[[Worker], threading.Thread]
) -> None:
    """A worker whose job was taken over (its lease expired during a long pause) finishes
    its validation but its result is dropped: only the job's holder writes."""
    submitter, _ = _people(cp)
    s = submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
    held = Held(Stage.CONTROLES)
    late = running(Worker(cp, settings, job=held, name="en-retard"))
    assert held.reached.wait(60)
    with cp.begin() as conn:  # as if another worker had claimed it after the lease
        conn.execute(
            update(taches).where(taches.c.soumission_id == s.id).values(travailleur="autre")
        )
    held.go()
    late.join(60)
    assert load(cp, s.id).state is SubmissionState.EN_ATTENTE and load(cp, s.id).report == {}
    task = queue.task_of(cp, s.id)
    assert task is not None and task.state is TaskState.EN_COURS and task.worker == "autre"


def _procrastinate_jobs(engine: Engine) -> list[tuple[str, dict[str, int]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, args FROM procrastinate_jobs WHERE queue_name = :q ORDER BY id"),
            {"q": dispatch.QUEUE},
        )
        return [(str(r.status), r.args) for r in rows]


def test_on_postgresql_the_job_is_dispatched_by_procrastinate(
    settings: Settings, cp: Engine
) -> None:
    """PostgreSQL: a submission defers a procrastinate job in its own transaction (its
    schema applied once, idempotently), the worker's run finishes it and unregisters its
    procrastinate worker. SQLite: the home-made queue alone, no procrastinate table."""
    submitter, _ = _people(cp)
    s = submit(cp, settings, submitter, IPS, io.BytesIO(_edited_ips(settings)), "ecoles.csv")
    if cp.dialect.name != "postgresql":
        assert "procrastinate_jobs" not in inspect(cp).get_table_names()
        assert drain(cp, settings) == 1 and load(cp, s.id).state is SubmissionState.A_RELIRE
        return
    with cp.begin() as conn:
        dispatch.ensure_schema(conn)  # present already: nothing done
    [(status, args)] = _procrastinate_jobs(cp)
    task = queue.task_of(cp, s.id)
    assert status == "todo" and task is not None and args == {"tache": task.id}
    assert drain(cp, settings) == 1
    assert [status for status, _ in _procrastinate_jobs(cp)] == ["succeeded"]
    assert load(cp, s.id).state is SubmissionState.A_RELIRE
    with cp.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one() == 0
