"""``ardoise ingest`` uploads to the configured bucket, ``ardoise releases pousser ID``
uploads an existing release, ``ardoise releases tirer ID`` downloads one onto another node,
verifies every file and serves it (issue #17), against moto's S3 server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from tests.cli.test_bad_input import _env
from tests.objectstore import S3, moto_s3

pytest.importorskip("boto3")
pytest.importorskip("moto.server")


@pytest.fixture
def s3() -> Iterator[S3]:
    with moto_s3() as server:
        yield server


def _s3_env(settings: Settings, s3: S3, var: Path | None = None) -> dict[str, str]:
    return {
        **_env(settings),
        **({"ARDOISE_VAR_DIR": str(var)} if var else {}),
        "ARDOISE_RELEASE_BUCKET": s3.bucket,
        "ARDOISE_RELEASE_S3_ENDPOINT": s3.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_ingest_uploads_and_another_node_pulls(
    fixture_settings: Settings, tmp_path: Path, s3: S3
) -> None:
    runner = CliRunner()
    env = _s3_env(fixture_settings, s3)
    r = runner.invoke(app, ["ingest"], env=env)
    assert r.exit_code == 0, r.output
    assert "envoyée au stockage objet" in r.output
    rid = ReleaseStore(fixture_settings.var_dir).current_id()
    assert rid is not None
    listed = s3.client.list_objects_v2(Bucket=s3.bucket, Prefix=f"ardoise/releases/{rid}/")
    assert any(o["Key"].endswith("/manifest.json") for o in listed["Contents"])
    s3.client.delete_object(Bucket=s3.bucket, Key=f"ardoise/releases/{rid}/manifest.json")
    r = runner.invoke(app, ["releases", "pousser", rid], env=env)  # sent again, whole
    assert r.exit_code == 0 and f"Release {rid} envoyée" in r.output, r.output
    other = _s3_env(fixture_settings, s3, tmp_path / "replica")
    r = runner.invoke(app, ["releases", "tirer", rid], env=other)
    assert r.exit_code == 0 and "vérifiée et servie" in r.output, r.output
    assert ReleaseStore(tmp_path / "replica").current_id() == rid
    r = runner.invoke(app, ["releases"], env=other)  # the group still lists
    assert r.exit_code == 0 and rid in r.output and "●" in r.output


def test_bad_ids_and_a_missing_bucket_are_said(
    fixture_settings: Settings, tmp_path: Path, s3: S3
) -> None:
    runner = CliRunner()
    env = _s3_env(fixture_settings, s3, tmp_path / "empty")
    r = runner.invoke(app, ["releases", "tirer", "20990101T000000Z-00000000"], env=env)
    assert r.exit_code == 2 and "absente du stockage objet" in r.output, r.output
    r = runner.invoke(app, ["releases", "pousser", "20990101T000000Z-00000000"], env=env)
    assert r.exit_code == 2 and "Release inconnue" in r.output, r.output
    r = runner.invoke(app, ["releases", "tirer", "x"], env=_env(fixture_settings))
    assert r.exit_code == 2 and "ARDOISE_RELEASE_BUCKET" in r.output, r.output
    assert "Traceback" not in r.output
