"""Property-based fuzzing of every documented operation: whatever a client sends, the
answer is never a server error (5xx).

Schemathesis reads ``/api/openapi.json`` of the app over the fixture release and calls it
in-process (ASGI), with only the ``not_a_server_error`` check. Examples are derandomised so
that a failure is reproducible; each generated call is replayed with a real dataset id so
that the handlers run past the 404. (The lazy pytest plugin of schemathesis 4.32 does not
run under pytest 9, hence the explicit loop over operations.)
"""

from __future__ import annotations

from typing import Any

import pytest

from ardoise.settings import Settings
from ardoise.web.app import create_app

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

MAX_EXAMPLES = 25
REAL_IDS = ("test-ips-ecoles", "test-calendrier", "test-points", "test-contours")
FORMATS = ("csv", "json", "jsonl", "geojson", "parquet", "xlsx")
SCOLARITE_PATHS = ("/v3/", "/v4/", "/v5/", "/api/introspect", "/verifier")


def _with_real_dataset(case: Any) -> bool:
    """Point the case at a real dataset and export format (chosen from its query, so that
    the choice is reproducible); False if the case names neither."""
    seed = len(repr(case.query))
    real, fmt = REAL_IDS[seed % len(REAL_IDS)], FORMATS[seed % len(FORMATS)]
    changed = False
    for params, name, value in (
        (case.path_parameters, "dataset_id", real),
        (case.path_parameters, "fmt", fmt),
        (case.query, "dataset", real),
        (case.query, "datasetid", real),
        (case.query, "format", fmt),
    ):
        if params is not None and name in params:
            params[name] = value
            changed = True
    return changed


def test_no_operation_answers_a_server_error(api_settings: Settings) -> None:
    app = create_app(api_settings.replace(response_cache_entries=0))
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    # The enrolment checks answer a documented 503 on a server without registry; they are
    # fuzzed with a registry (10,000 hostile inputs) in tests/scolarite/test_security.py.
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if not op.path.startswith(SCOLARITE_PATHS)
    ]
    assert len(operations) >= 15
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])
            if _with_real_dataset(case):
                case.call_and_validate(checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:  # collect every failing operation, then report them all
            failures.append(f"{operation.label}: {str(exc)[:2000]}")

    assert not failures, "\n\n".join(failures)
