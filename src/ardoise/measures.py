"""Measures taken below the web layer and served by ``/metrics`` (issue #17, with
``web.metrics``' own): the time DuckDB spends answering a query, and the audit writer's
lag, how long an enrolment call waits for its journal entry's commit. prometheus-client's
default registry, which ``/metrics`` serves (summed over worker processes in multiprocess
mode, as the others)."""

from __future__ import annotations

from prometheus_client import Histogram

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

DUCKDB = Histogram(
    "ardoise_duckdb_seconds", "Temps passé par DuckDB sur une requête", buckets=_BUCKETS
)
AUDIT_LAG = Histogram(
    "ardoise_audit_writer_lag_seconds",
    "Attente d'un appel jusqu'à l'inscription de son entrée au journal d'audit",
    buckets=_BUCKETS,
)
