"""No personal data in application logs: the log watch (conftest) sees every record of the
session from INFO up; this file runs last in tests/scolarite and checks what it saw so far
(the session-end hook checks the rest of the suite)."""

from __future__ import annotations

import logging

from ardoise.scolarite.router import RedactQueries, install_log_redaction
from tests.scolarite.conftest import COLLECTOR, leaks


def test_the_watch_would_see_a_leak() -> None:
    assert leaks(["app GET /v3/men/scolarites/identite?nomNaissance=Quéménezoù"])
    assert COLLECTOR in logging.getLogger().handlers


def test_access_log_lines_are_redacted() -> None:
    install_log_redaction()
    logger = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, RedactQueries) for f in logger.filters)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', (
            "127.0.0.1:1", "GET", "/v3/men/scolarites/identite?nomNaissance=Partilhac&x=1",
            "1.1", 200),
        None,
    )  # fmt: skip
    for f in logger.filters:
        f.filter(record)
    line = record.getMessage()
    assert "Partilhac" not in line and "/v3/men/scolarites/identite?[masqué]" in line


def test_no_personal_data_in_the_logs_so_far() -> None:
    assert COLLECTOR.lines  # the scolarité tests did log (access lines, warnings…)
    assert leaks(COLLECTOR.lines) == []
