"""Values as Ardoise's own databases keep them: secrets (API keys, enrolment tokens) only as
a digest, and datetimes in UTC.

SQLite gives timestamps back naive where PostgreSQL gives them aware; both databases hold
UTC, so a naive value read back is UTC.

>>> digest("ard_exemple")[:12]
'400996e4ea36'
>>> from datetime import datetime
>>> as_utc(datetime(2026, 12, 7, 9, 30)).isoformat()
'2026-12-07T09:30:00+00:00'
>>> as_utc(None) is None
True
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import overload


def digest(secret: str) -> str:
    """The SHA-256 of a secret, as stored and looked up (the secret itself is never kept)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A datetime read back from the database, made aware (UTC) when the driver gave it naive."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
