"""Several replicas following the announced release (issue #17), against a real PostgreSQL
(``ARDOISE_TEST_POSTGRES_URL``) and moto's S3 server on loopback. The publishing node
uploads each release and announces it (``release_courante`` + NOTIFY); two replicas, each
with its own var/ and its follower thread (the app's lifespan, as under ``ardoise serve``),
download, verify and switch; every answer says which release answered it. A corrupt upload
leaves both on the previous release, saying so on ``/ready`` and ``/metrics``; a replica
started later reads the table and serves the current release."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ardoise.release import announce
from ardoise.release.build import build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Secret, Settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential
from tests.objectstore import S3, fresh_database, moto_s3
from tests.postgres import postgres_url

pytest.importorskip("boto3")
pytest.importorskip("moto.server")
pytest.importorskip("psycopg")
pytestmark = pytest.mark.skipif(not postgres_url(), reason="ARDOISE_TEST_POSTGRES_URL absent")

RECORDS = "/api/explore/v2.1/catalog/datasets/test-calendrier/records?limit=1"
WITHIN = 30.0  # seconds for a replica to follow an announcement


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)  # boto3's usual chain, as in production
    with moto_s3() as server:
        yield server


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def _publisher(settings: Settings, s3: S3, url: str) -> Settings:
    return settings.replace(
        release_bucket=s3.bucket,
        release_s3_endpoint=s3.endpoint,
        release_announce_url=Secret(url),
    )


def _replica(publisher: Settings, var: Path) -> Settings:
    return publisher.replace(var_dir=var, release_follow=True, release_follow_seconds=1)


def _new_release(settings: Settings, n: int) -> str:
    """Publish a release with one more calendar row than the last."""
    calendar = settings.mirror / "cal" / "calendrier.csv"
    calendar.write_text(
        calendar.read_text("utf-8") + f"Vacances de printemps,-,2024-04-{n + 1:02d}T22:00:00+00:00,"
        "2024-04-21T22:00:00+00:00,Lyon,Zone A,2023-2024\n",
        "utf-8",
    )
    result = build_release(settings, build_referential_fn=fake_referential)
    assert result.published, result.message
    return result.release_id


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not check():
        assert time.monotonic() < deadline, f"pas dans les {WITHIN} s : {what}"
        time.sleep(0.2)


def _answers(client: TestClient, release_id: str) -> bool:
    answer = client.get(RECORDS)
    return answer.status_code == 200 and answer.headers.get("x-ardoise-release") == release_id


def test_replicas_follow_publish_rollback_and_a_late_start(
    fixture_settings: Settings, tmp_path: Path, s3: S3, database: str
) -> None:
    publisher = _publisher(fixture_settings, s3, database)
    first = _new_release(publisher, 1)
    assert announce.current(database).id == first  # type: ignore[union-attr]
    with ExitStack() as stack:
        replicas = [
            stack.enter_context(TestClient(create_app(_replica(publisher, tmp_path / n))))
            for n in ("a", "b")
        ]
        for client in replicas:  # read from the table at start
            _until(lambda c=client: _answers(c, first), f"{first} servie au démarrage")
        second = _new_release(publisher, 2)
        for client in replicas:
            _until(lambda c=client: _answers(c, second), f"{second} servie après l'annonce")
            for path in ("/health", "/ready", "/", "/metrics"):  # every answer says it
                assert client.get(path).headers["x-ardoise-release"] == second, path
            ready = client.get("/ready").json()
            assert ready["statut"] == "pret" and ready["degrade"] is False
            assert ready["verifications"]["annonce"] == {"ok": True, "detail": second}
        store = ReleaseStore(publisher.var_dir)  # the rollback command's own path
        from ardoise.release.distribution import distributed_note

        store.switch(first)
        assert "annoncée" in distributed_note(publisher, first, "rollback")
        for client in replicas:
            _until(lambda c=client: _answers(c, first), f"retour à {first}")
    late = _replica(publisher, tmp_path / "late")  # empty var/: the table says what to serve
    with TestClient(create_app(late)) as client:
        _until(lambda: _answers(client, first), "la réplique tardive sert la courante")
    assert ReleaseStore(tmp_path / "late").current_id() == first


def test_a_corrupt_upload_leaves_replicas_on_the_previous_release(
    fixture_settings: Settings, tmp_path: Path, s3: S3, database: str
) -> None:
    publisher = _publisher(fixture_settings, s3, database)
    first = _new_release(publisher, 1)
    quiet = publisher.replace(release_announce_url=Secret(""))  # uploaded, not yet announced
    with ExitStack() as stack:
        replicas = [
            stack.enter_context(TestClient(create_app(_replica(publisher, tmp_path / n))))
            for n in ("a", "b")
        ]
        for client in replicas:
            _until(lambda c=client: _answers(c, first), f"{first} servie")
        broken = _new_release(quiet, 2)
        keys = s3.client.list_objects_v2(Bucket=s3.bucket, Prefix=f"ardoise/releases/{broken}/")
        damaged = next(o["Key"] for o in keys["Contents"] if o["Key"].endswith(".parquet"))
        s3.client.put_object(Bucket=s3.bucket, Key=damaged, Body=b"PAR1 pas un parquet")
        announce.announce(database, broken, "test")
        for client in replicas:

            def degraded(c: TestClient = client) -> bool:
                return c.get("/ready").json().get("degrade") is True

            _until(degraded, "la réplique dit qu'elle n'a pas pu charger la release")
            ready = client.get("/ready")
            assert ready.status_code == 200  # still serving, intact: nginx keeps routing
            (reason,) = ready.json()["raisons"]
            assert broken in reason and "empreinte" in reason and first in reason
            assert _answers(client, first)  # the previous release, still
            metrics = client.get("/metrics").text
            assert f'ardoise_release_load_failures_total{{release="{broken}"}}' in metrics
            assert "ardoise_release_behind 1.0" in metrics
    for n in ("a", "b"):
        assert ReleaseStore(tmp_path / n).current_id() == first
        assert not (tmp_path / n / "releases" / broken).exists()  # nothing half-downloaded
