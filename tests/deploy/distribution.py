"""How the end-to-end deployment test publishes a release and switches the replicas to it
(issue #17): the one step that depends on the distribution mechanism.

Main's mechanism: the publishing node builds the release and uploads it to the S3 bucket
(``release.objectstore.upload``); each replica's copy is downloaded from the bucket and
verified (``objectstore.fetch``), then made current in that replica's var folder, which
the replica reads on its next request (``var/current``); a rollback is ``ardoise rollback``
run against each replica's var folder. The test plays each replica's part of the switch
here, one replica after the other."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ardoise.release.build import build_release
from ardoise.release.objectstore import fetch, upload
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from tests.deploy.cluster import ROOT, Replica
from tests.fixtures import fake_referential

BUCKET = "ardoise-releases"


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


class Distribution:
    def __init__(self, endpoint: str, replicas: list[Replica]) -> None:
        self.client = s3_client(endpoint)
        self.client.create_bucket(Bucket=BUCKET)
        self.replicas = replicas

    def publish(self, settings: Settings) -> str:
        """Build a release of ``settings.mirror`` on the publishing node, upload it; its id."""
        result = build_release(settings, build_referential_fn=fake_referential)
        assert result.published and result.release_id, result.message
        upload(self.client, BUCKET, settings.releases_dir / result.release_id)
        return result.release_id

    def install(self, release_id: str) -> None:
        """Before the replicas start: each var folder gets the release, current."""
        self.switch(release_id)

    def switch(self, release_id: str) -> None:
        """Every replica downloads the release, verifies it, and makes it current (the
        replicas at the same time, as separate machines would)."""

        def one(replica: Replica) -> None:
            store = ReleaseStore(replica.var_dir)
            fetch(self.client, BUCKET, release_id, store)
            with store.lock():
                store.switch(release_id)

        with ThreadPoolExecutor(len(self.replicas)) as pool:
            list(pool.map(one, self.replicas))

    def rollback(self, release_id: str) -> None:
        """``ardoise rollback`` on every replica at once (the release is already there)."""
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "ardoise.cli", "rollback", release_id],
                env=replica.env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for replica in self.replicas
        ]
        for run in runs:
            output, _ = run.communicate(timeout=120)
            assert run.returncode == 0, output.decode()


def changed_mirror(mirror: Path) -> None:
    """One more row in the fixture calendar: the next build publishes a new release."""
    calendar = mirror / "cal" / "calendrier.csv"
    with calendar.open("a", encoding="utf-8") as f:
        f.write(
            "Vacances d'Hiver,-,2024-02-09T23:00:00+00:00,2024-02-25T23:00:00+00:00,"
            "Lyon,Zone A,2023-2024\n"
        )
