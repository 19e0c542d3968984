"""The throwaway PostgreSQL server of the tests and the benchmark: its URL comes from the
environment variable ``ARDOISE_TEST_POSTGRES_URL`` (written by ``scripts/postgres.sh``,
passed by ``make test``), not from the production settings."""

from __future__ import annotations

import os

VARIABLE = "ARDOISE_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The server's URL, or "" when none is running (the tests that need it skip)."""
    return os.environ.get(VARIABLE, "").strip()
