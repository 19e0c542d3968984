"""How the end-to-end deployment test publishes a release and switches the replicas to it
(issue #17), with the project's own distribution: the publishing node's settings name the
S3 bucket and the announcement database, so that a publication (``build_release``, as
``ardoise ingest`` does) and ``ardoise rollback`` upload the release and announce it
(table ``release_courante`` and NOTIFY, ``release/distribution.py``); every replica runs
``ardoise serve`` with ``ARDOISE_RELEASE_FOLLOW=1``: it reads the announced release at
start, listens for the next, downloads it, verifies every file, loads it, then switches.
The test only publishes, rolls back, and waits for every replica's ``/ready``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from ardoise.release.build import build_release
from ardoise.settings import Secret, Settings, load_settings
from tests.deploy.cluster import ROOT
from tests.fixtures import fake_referential

BUCKET = "ardoise-releases"
# moto accepts any key; boto3 finds them in the environment (its usual chain)
AWS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
        region_name=AWS["AWS_DEFAULT_REGION"],
    )


class Distribution:
    def __init__(self, endpoint: str, database: str, publisher_var: Path) -> None:
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        self.env = {
            **AWS,
            "ARDOISE_RELEASE_BUCKET": BUCKET,
            "ARDOISE_RELEASE_S3_ENDPOINT": endpoint,
            "ARDOISE_RELEASE_ANNOUNCE_URL": database,
        }
        self.publisher_var = publisher_var

    def replica_env(self) -> dict[str, str]:
        """What a replica adds to its environment: follow the announcements."""
        return {**self.env, "ARDOISE_RELEASE_FOLLOW": "1"}

    def publisher(self, mirror: Path, catalog: Path) -> Settings:
        return load_settings(
            environ={},
            mirror=mirror,
            catalog_dir=catalog,
            var_dir=self.publisher_var,
            node_modules=ROOT / "node_modules",
            release_bucket=BUCKET,
            release_s3_endpoint=self.env["ARDOISE_RELEASE_S3_ENDPOINT"],
            release_announce_url=Secret(self.env["ARDOISE_RELEASE_ANNOUNCE_URL"]),
        )

    def publish(self, settings: Settings) -> str:
        """Build a release of ``settings.mirror``: published here, uploaded, announced."""
        result = build_release(settings, build_referential_fn=fake_referential)
        assert result.published and result.release_id, result.message
        assert "annoncée aux répliques" in result.message, result.message
        return result.release_id

    def install(self, release_id: str) -> None:
        """Before the replicas start: nothing, they read the announced release at start."""

    def switch(self, release_id: str) -> None:
        """Nothing: the replicas heard the announcement of the publication."""

    def rollback(self, release_id: str) -> None:
        """``ardoise rollback`` on the publishing node: it announces the older release."""
        import os

        env = {k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")}
        env |= {**self.env, "ARDOISE_VAR_DIR": str(self.publisher_var)}
        env["PYTHONPATH"] = str(ROOT / "src")
        done = subprocess.run(
            [sys.executable, "-m", "ardoise.cli", "rollback", release_id],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0 and "annoncée" in done.stdout, done.stdout + done.stderr


def changed_mirror(mirror: Path) -> None:
    """One more row in the fixture calendar: the next build publishes a new release."""
    calendar = mirror / "cal" / "calendrier.csv"
    with calendar.open("a", encoding="utf-8") as f:
        f.write(
            "Vacances d'Hiver,-,2024-02-09T23:00:00+00:00,2024-02-25T23:00:00+00:00,"
            "Lyon,Zone A,2023-2024\n"
        )
