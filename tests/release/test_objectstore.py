"""Releases through object storage (issue #17), against moto's S3 server on loopback: the
publishing node uploads a release; a replica downloads it, verifies every sha256, and only
then can make it current; a damaged or incomplete release is refused and leaves nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ardoise.errors import ReleaseCorrupt, ReleaseNotFound
from ardoise.release.build import build_release
from ardoise.release.objectstore import fetch, upload
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from tests.fixtures import fake_referential
from tests.objectstore import moto_s3

pytest.importorskip("boto3")
pytest.importorskip("moto.server")


@pytest.fixture
def s3() -> Iterator[Any]:
    with moto_s3() as server:
        yield server.client


def test_a_replica_downloads_verifies_then_switches(
    fixture_settings: Settings, tmp_path: Path, s3: Any
) -> None:
    assert build_release(fixture_settings, build_referential_fn=fake_referential).published
    publisher = ReleaseStore(fixture_settings.var_dir)
    rid = publisher.current_id()
    assert rid is not None
    sent = upload(s3, "releases", publisher.releases_dir / rid, prefix="ardoise/")
    assert sent > 3
    replica = ReleaseStore(tmp_path / "replica")
    path = fetch(s3, "releases", rid, replica, prefix="ardoise/")
    replica.switch(rid)
    assert replica.current_id() == rid and (path / "manifest.json").is_file()
    here = sorted(p.relative_to(path) for p in path.rglob("*") if p.is_file())
    there = sorted(p.relative_to(publisher.releases_dir / rid) for p in (publisher.releases_dir / rid).rglob("*") if p.is_file())  # fmt: skip
    assert here == there
    assert fetch(s3, "releases", rid, replica, prefix="ardoise/") == path  # already there


def test_a_damaged_or_incomplete_release_is_refused(
    fixture_settings: Settings, tmp_path: Path, s3: Any
) -> None:
    assert build_release(fixture_settings, build_referential_fn=fake_referential).published
    publisher = ReleaseStore(fixture_settings.var_dir)
    rid = publisher.current_id()
    assert rid is not None
    upload(s3, "releases", publisher.releases_dir / rid)
    listed = s3.list_objects_v2(Bucket="releases", Prefix=f"releases/{rid}/")
    keys = [o["Key"] for o in listed["Contents"]]  # (moto's server keeps other tests' objects)
    replica = ReleaseStore(tmp_path / "replica")
    for damaged in (
        next(k for k in keys if "/data/" in k and k.endswith(".parquet")),
        next(k for k in keys if "/referential/" in k and k.endswith(".parquet")),
    ):
        good = s3.get_object(Bucket="releases", Key=damaged)["Body"].read()
        s3.put_object(Bucket="releases", Key=damaged, Body=b"PAR1 pas un parquet")
        with pytest.raises(ReleaseCorrupt, match="empreinte"):
            fetch(s3, "releases", rid, replica)
        s3.put_object(Bucket="releases", Key=damaged, Body=good)
    assert not any(replica.releases_dir.iterdir())  # nothing left, nothing current
    assert replica.current_id() is None
    with pytest.raises(ReleaseNotFound, match="absente"):
        fetch(s3, "releases", "20990101T000000Z-00000000", replica)
