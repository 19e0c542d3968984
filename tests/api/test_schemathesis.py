"""Property-based fuzzing of every documented operation with every schemathesis check
(issue #21.7): no server error, and the answers are what ``/api/openapi.json`` says —
status codes, media types, headers, bodies; schema-valid requests accepted, schema-violating
ones rejected.

Schemathesis reads the document of the app over the fixture release and calls it
in-process (ASGI), in positive and negative modes, examples derandomised so that a failure
is reproducible; each generated call is replayed with a real dataset id so that the
handlers run past the 404. ``call_and_validate()`` without ``checks`` runs every built-in
check (``--checks all``); one is narrowed, see :func:`positive_data_acceptance`. (The lazy
pytest plugin of schemathesis 4.32 does not run under pytest 9, hence the explicit loop.)

Bounded for ``make test``: POSITIVE + NEGATIVE examples per operation (≈ 60-90 s on the
2-core machine).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ardoise.settings import Settings
from ardoise.web.app import create_app

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi import checks as openapi_checks  # noqa: E402

POSITIVE, NEGATIVE = 6, 3
REAL_IDS = ("test-ips-ecoles", "test-calendrier", "test-points", "test-contours")
FORMATS = ("csv", "json", "jsonl", "geojson", "parquet", "xlsx")
SCOLARITE_PATHS = ("/v3/", "/v4/", "/v5/", "/api/introspect", "/verifier")

# A schema-valid request the server may still refuse with 400, because what it breaks
# cannot be said in JSON Schema: the ODSQL and SQL grammars and the fields of the dataset
# (`where`, `select`, `refine=champ:valeur` on a field the dataset lacks: the portal answers
# ODSQLError 400 too), a geographic filter on a dataset without geometry, a v1 `sort` on a
# field the dataset lacks, a facet on a field the dataset lacks, `territoire=` at a level
# the dataset has no rows for; and what ties two values together: the window (offset +
# limit ≤ 10,000), `release=` or `date=` but not both, a UAI where the path's level is
# `etablissement`, a school year of two consecutive years, a `parent=` coarser than the
# level, communes' contours without a `parent=`, a v1 dataset named by `dataset` or its old name `datasetid` (JSON Schema cannot
# require one of two parameters).
GRAMMAR_CODES = frozenset({"ODSQLError", "SQLError"})
DATA_DEPENDENT = (
    "paramètre geofilter",
    "paramètre sort",
    "Unknown facet field",
    "ne relie aucune ligne",
    "sum of offset + limit",
    "start + rows",
    "pas les deux",
    "UAI invalide",
    "attendu une année scolaire",
    "est plus fin que",
    "trop volumineux",
    "Paramètre dataset manquant",
)


def _refused_for_grammar(response: Any) -> bool:
    if response.status_code != 400:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    message = str(body.get("message", ""))
    return body.get("error_code") in GRAMMAR_CODES or any(m in message for m in DATA_DEPENDENT)


def positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """The built-in check, except for the refusals :data:`GRAMMAR_CODES` and
    :data:`DATA_DEPENDENT` describe (every other 400 to a schema-valid request fails)."""
    if _refused_for_grammar(response):
        return None
    return openapi_checks.positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]


def _with_real_dataset(case: Any, mode: GenerationMode) -> bool:
    """Point the case at a real dataset (chosen from its query, so that the choice is
    reproducible), and at a real export format in positive mode (a negative case keeps the
    format it was given); False if the case names no dataset."""
    seed = len(repr(case.query))
    real, fmt = REAL_IDS[seed % len(REAL_IDS)], FORMATS[seed % len(FORMATS)]
    changed = False
    replaced = [
        (case.path_parameters, "dataset_id", real),
        (case.query, "dataset", real),
        (case.query, "datasetid", real),
    ]
    if mode is GenerationMode.POSITIVE:
        replaced.append((case.path_parameters, "fmt", fmt))
    for params, name, value in replaced:
        if params is not None and name in params:
            params[name] = value
            changed = True
    return changed


def _validate(case: Any) -> None:
    case.call_and_validate(
        excluded_checks=[openapi_checks.positive_data_acceptance],
        additional_checks=[positive_data_acceptance],
    )


def _fuzz(operation: Any, mode: GenerationMode, examples: int) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time, and the
        suppress_health_check=list(HealthCheck),  # derandomised failure replays as is
    )
    def fuzz(case: Any) -> None:
        _validate(case)
        if _with_real_dataset(case, mode):
            _validate(case)

    fuzz()


def test_every_operation_answers_as_documented(api_settings: Settings) -> None:
    app = create_app(api_settings.replace(response_cache_entries=0))
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    # The enrolment checks answer a documented 503 on a server without registry; they are
    # fuzzed with a registry (10,000 hostile inputs) in tests/scolarite/test_security.py.
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if not op.path.startswith(SCOLARITE_PATHS)
    ]
    assert len(operations) >= 40
    failures: list[str] = []
    negated = 0
    for operation in operations:
        for mode, examples in (
            (GenerationMode.POSITIVE, POSITIVE),
            (GenerationMode.NEGATIVE, NEGATIVE),
        ):
            try:
                _fuzz(operation, mode, examples)
                negated += mode is GenerationMode.NEGATIVE
            except Unsatisfiable:  # nothing to negate (no parameter, or only free text)
                if mode is GenerationMode.POSITIVE:
                    failures.append(f"{operation.label}: no valid request could be generated")
            except (Exception, BaseExceptionGroup) as exc:  # every failing operation, at once
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:2000]}")
    assert not failures, "\n\n".join(failures)
    assert negated >= 25  # the negative mode did reach most operations
