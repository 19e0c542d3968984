"""SQL across datasets and releases (mounted under ``/api/v1``).

    GET /sql?q=…[&release=<id>|&date=AAAA-MM-JJ][&format=json|csv|parquet][&p.nom=valeur]
    GET /sql/tables[?release=…]   the tables a query may read, with their columns

Every handler calls a data function of ``ardoise.query.sql_run`` (checks in
``query/sql_guard.py``, allow-list in ``query/sql_tables.py``) and only shapes its answer.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ardoise.api.deps import CurrentRelease
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.media import answers
from ardoise.odsql.errors import InvalidParameter, LimitExceeded
from ardoise.query.release import ServedRelease
from ardoise.query.sql_run import SqlLimits, SqlResult, reader_grant, run_sql, sql_parquet
from ardoise.query.sql_tables import PUBLIC, release_on, release_tables
from ardoise.release.store import ReleaseStore
from ardoise.urls import ROOT, query_string

RELEASE_HEADER = "X-Ardoise-Release"
FORMATS = ("json", "csv", "parquet")

Sql = Annotated[
    str | None,
    Query(
        description="Requête SQL en lecture seule (SELECT ou WITH … SELECT, dialecte DuckDB) "
        "sur les tables de la release ; `EXPLAIN …` donne le plan ; paramètres `:nom` "
        "liés par `p.nom=valeur`."
    ),
]
Release = Annotated[
    str | None, Query(description="Identifiant de la release lue (par défaut : la courante).")
]
Day = Annotated[
    str | None, Query(description="Date AAAA-MM-JJ : lire la release courante ce jour-là.")
]
Format = Annotated[str, Query(description="json (défaut), csv ou parquet.")]


def parameters(request: Request) -> dict[str, str]:
    """The bound values ``p.nom=valeur`` of the request."""
    return {k[2:]: v for k, v in request.query_params.items() if k.startswith("p.") and k[2:]}


def default_release(store: ReleaseStore, release: str | None, day: str | None) -> str | None:
    """The release id ``release=`` or ``date=`` names (None: the served one)."""
    if release and day:
        raise InvalidParameter("Donnez release= ou date=, pas les deux.")
    if day:
        return release_on(store, day)
    return release or None


def _parquet_url(request: Request) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "format"]
    return ROOT.sql(query_string([*pairs, ("format", "parquet")]))


def result_json(result: SqlResult, parquet_url: str) -> dict[str, Any]:
    """The JSON answer of a query (also the data of the ``/sql`` page)."""
    body: dict[str, Any] = {
        "release": result.release_id,
        "tables": list(result.tables),
        "columns": [{"name": n, "type": t} for n, t in result.columns],
        "rows": [list(r) for r in result.rows],
        "row_count": len(result.rows),
        "truncated": result.truncated,
    }
    if result.plan is not None:
        body["plan"] = result.plan
    if result.truncated:
        body["message"] = truncation_message(result.max_rows)
        body["parquet_url"] = parquet_url
    return body


def truncation_message(max_rows: int) -> str:
    return (
        f"Résultat tronqué aux {max_rows} premières lignes : téléchargez le résultat "
        "complet en Parquet (format=parquet)."
    )


def sql_query(
    request: Request,
    release: CurrentRelease,
    q: Sql = None,
    release_id: Annotated[Release, Query(alias="release")] = None,
    date: Day = None,
    format: Format = "json",
) -> Response:
    if format not in FORMATS:
        raise InvalidParameter(f"Format inconnu : {format[:20]!r} (json, csv ou parquet).")
    settings = request.app.state.settings
    store = ReleaseStore(settings.var_dir)
    default = default_release(store, release_id, date)
    limits = SqlLimits.of(settings)
    text, params = q or "", parameters(request)
    served = default or release.id
    if format == "parquet":
        body = sql_parquet(release, store, text, params, limits, PUBLIC, default)
        return Response(
            body,
            media_type="application/vnd.apache.parquet",
            headers={
                RELEASE_HEADER: served,
                "Content-Disposition": 'attachment; filename="requete.parquet"',
            },
        )
    result = run_sql(release, store, text, params, limits, PUBLIC, default)
    if format == "csv":
        if result.truncated:
            raise LimitExceeded(
                f"{truncation_message(result.max_rows)} Adresse : {_parquet_url(request)}"
            )
        return Response(
            _csv(result),
            media_type="text/csv; charset=utf-8",
            headers={
                RELEASE_HEADER: served,
                "Content-Disposition": 'attachment; filename="requete.csv"',
            },
        )
    return JSONBytes(result_json(result, _parquet_url(request)), headers={RELEASE_HEADER: served})


def _csv(result: SqlResult) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([n for n, _t in result.columns])
    for row in result.rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def tables_json(release: ServedRelease) -> list[dict[str, Any]]:
    """The tables of the served release a query may read, with their columns."""
    out = []
    for t in release_tables(release.path, release.manifest, reader_grant(release, PUBLIC)):
        columns = [{"name": f.name, "type": str(f.type)} for f in _schema(t.path)]
        out.append({"name": t.name, "kind": t.kind, "dataset_id": t.dataset_id, "columns": columns})
    return out


def _schema(path: Path) -> pa.Schema:
    return pq.read_schema(path)


def sql_tables(request: Request, release: CurrentRelease) -> JSONBytes:
    body = release.memo(("sql_tables_json",), lambda: tables_json(release))
    return JSONBytes(
        {"release": release.id, "tables": body, "sql_url": ROOT.sql()},
        headers={RELEASE_HEADER: release.id},
    )


def build_router() -> APIRouter:
    router = APIRouter(tags=["SQL"])
    router.add_api_route(
        "/sql",
        sql_query,
        methods=["GET"],
        summary="Requête SQL sur les jeux d'une release",
        responses=answers("application/json", "text/csv", "application/vnd.apache.parquet"),
    )
    router.add_api_route(
        "/sql/tables", sql_tables, methods=["GET"], summary="Tables lisibles en SQL"
    )
    return router
