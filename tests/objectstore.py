"""moto's S3 server on loopback for the tests of releases through object storage
(issue #17), and a throwaway PostgreSQL database for their announcement."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.postgres import postgres_url


@dataclass(frozen=True)
class S3:
    client: Any
    endpoint: str
    bucket: str


@contextmanager
def moto_s3(bucket: str = "releases") -> Iterator[S3]:
    """A started moto server with one bucket; stopped on exit."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    try:
        yield S3(client, endpoint, bucket)
    finally:
        server.stop()


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database on the test server (dropped on exit): tests of
    several helpers share the server, never a ``release_courante`` table."""
    import psycopg

    base = postgres_url()
    name = f"ardoise_replicas_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _sep, _db = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
