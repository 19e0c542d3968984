"""``/api/v1/sql``: read-only SQL across the datasets and releases of the fixture, its
formats, parameters, EXPLAIN, row cap, release selection, and its hostile corpus
(``tests/query/sql_hostile.txt``) over HTTP: each input refused with a clear French error
or stopped by the limits, never a 5xx, never a read outside the release."""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from ardoise.query.sql_guard import CheckedSql, SqlRefused, check_sql
from ardoise.query.sql_run import SqlLimits, _connection
from ardoise.release.build import build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings, load_settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential, write_catalog, write_mirror

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "query" / "sql_hostile.txt"


def hostile_inputs() -> list[tuple[str, str]]:
    """(kind, sql) of the corpus: R refused, L stopped by the limits."""
    out = []
    for line in HOSTILE.read_text("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        kind, _tab, sql = line.partition("\t")
        out.append((kind, sql.replace("\\n", "\n").replace("\\0", "\x00")))
    return out


@pytest.fixture(scope="module")
def sql_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Two published releases of the fixture (the second current), small SQL limits."""
    tmp = tmp_path_factory.mktemp("sql")
    settings = load_settings(
        environ={},
        mirror=write_mirror(tmp / "mirror"),
        catalog_dir=write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
    )
    assert build_release(settings, build_referential_fn=fake_referential).published
    first = ReleaseStore(settings.var_dir).current_id()
    assert first is not None
    # a second release, whose calendar holds one more row (a dataset that changed)
    calendar = settings.mirror / "cal" / "calendrier.csv"
    lines = calendar.read_text("utf-8").splitlines()
    calendar.write_text("\n".join([*lines, lines[-1]]) + "\n", "utf-8")
    second = build_release(settings, build_referential_fn=fake_referential)
    assert second.published and second.release_id != first, second.message
    return dataclasses.replace(
        settings, sql_time_limit_ms=1500, sql_max_rows=40, sql_memory_limit="256MB"
    )


@pytest.fixture(scope="module")
def client(sql_settings: Settings) -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    with TestClient(create_app(sql_settings), raise_server_exceptions=False) as c:
        yield c  # type: ignore[misc]


def releases(settings: Settings) -> list[str]:
    return [r.id for r in ReleaseStore(settings.var_dir).list()]


def sql(client: httpx.Client, q: str, **params: str) -> httpx.Response:
    return client.get("/api/v1/sql", params={"q": q, **params})


def test_select_answers_columns_rows_and_release(
    client: httpx.Client, sql_settings: Settings
) -> None:
    r = sql(client, "SELECT uai, effectif FROM test_points ORDER BY uai LIMIT 1")
    assert r.status_code == 200, r.text
    body = r.json()
    current = ReleaseStore(sql_settings.var_dir).current_id()
    assert r.headers["X-Ardoise-Release"] == current == body["release"]
    assert [c["name"] for c in body["columns"]] == ["uai", "effectif"]
    assert body["row_count"] == len(body["rows"]) == 1
    assert body["rows"] == [["0350001L", 120]]  # the fixture's first point
    assert body["truncated"] is False
    assert body["tables"] == ["test_points"]


def test_hyphenated_and_underscore_names_are_the_same_table(client: httpx.Client) -> None:
    a = sql(client, 'SELECT count(*) AS n FROM "test-points"').json()
    b = sql(client, "SELECT count(*) AS n FROM test_points").json()
    assert a["rows"] == b["rows"] and a["rows"][0][0] > 0


def test_join_across_datasets_and_territories(client: httpx.Client) -> None:
    r = sql(
        client,
        "SELECT e.uai, e.ips, c.nom FROM test_ips_ecoles e "
        "JOIN communes c ON c.code = e.code_insee_de_la_commune ORDER BY e.uai",
    )
    assert r.status_code == 200, r.text
    body = r.json()
    direct = sql(client, "SELECT count(*) FROM test_ips_ecoles e JOIN communes c "
                 "ON c.code = e.code_insee_de_la_commune").json()  # fmt: skip
    assert body["row_count"] == direct["rows"][0][0] > 0
    assert set(body["tables"]) == {"test_ips_ecoles", "communes"}


def test_indicator_tables_are_readable(client: httpx.Client) -> None:
    r = sql(client, "SELECT count(*) FROM indicateurs_valeurs")
    assert r.status_code == 200, r.text


def test_a_dataset_in_two_releases(client: httpx.Client, sql_settings: Settings) -> None:
    old, new = releases(sql_settings)
    q = (
        f'SELECT (SELECT count(*) FROM "{old}".test_calendrier) AS avant, '
        f'(SELECT count(*) FROM "{new}".test_calendrier) AS apres'
    )
    r = sql(client, q)
    assert r.status_code == 200, r.text
    avant, apres = r.json()["rows"][0]
    assert apres == avant + 1 > 1
    assert sql(client, "SELECT count(*) FROM test_calendrier").json()["rows"] == [[apres]]


def test_release_and_date_choose_the_default_release(
    client: httpx.Client, sql_settings: Settings
) -> None:
    old, new = releases(sql_settings)
    q = "SELECT count(*) FROM test_calendrier"
    r = sql(client, q, release=old)
    assert r.status_code == 200 and r.headers["X-Ardoise-Release"] == old
    assert r.json()["rows"][0][0] + 1 == sql(client, q).json()["rows"][0][0]
    unknown = sql(client, "SELECT 1", release="19990101T000000Z-deadbeef")
    assert unknown.status_code == 404 and "Release inconnue" in unknown.json()["message"]
    assert sql(client, "SELECT 1", date="1999-01-01").status_code == 404
    later = sql(client, "SELECT 1", date="2099-01-01")
    assert later.status_code == 200 and later.headers["X-Ardoise-Release"] == new
    assert sql(client, "SELECT 1", date="01/02/2024").status_code == 400
    assert sql(client, "SELECT 1", date="2099-01-01", release=old).status_code == 400


def test_bound_parameters(client: httpx.Client) -> None:
    all_rows = sql(client, "SELECT uai, effectif FROM test_points").json()["rows"]
    seuil = sorted(e for _u, e in all_rows if e is not None)[len(all_rows) // 2]
    r = sql(
        client, "SELECT uai FROM test_points WHERE effectif > :seuil", **{"p.seuil": str(seuil)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["row_count"] == sum(1 for _u, e in all_rows if e is not None and e > seuil)
    text = sql(client, "SELECT :nom AS n", **{"p.nom": "Lyon ' OR 1=1 --"}).json()
    assert text["rows"] == [["Lyon ' OR 1=1 --"]]  # a value, never SQL
    missing = sql(client, "SELECT :absent")
    assert missing.status_code == 400 and "p.absent" in missing.json()["message"]


def test_explain_gives_the_plan(client: httpx.Client) -> None:
    body = sql(client, "EXPLAIN SELECT count(*) FROM test_points").json()
    assert body["plan"] and body["rows"] == []


def test_row_cap_truncates_json_and_links_parquet(client: httpx.Client) -> None:
    q = "SELECT a.uai FROM test_ips_ecoles a, test_ips_ecoles b, test_ips_ecoles c"
    body = sql(client, q).json()
    assert body["truncated"] is True and body["row_count"] == 40
    assert "Parquet" in body["message"] and "format=parquet" in body["parquet_url"]
    csv = sql(client, q, format="csv")
    assert csv.status_code == 400 and "Parquet" in csv.json()["message"]
    parquet = client.get(body["parquet_url"])
    assert parquet.status_code == 200, parquet.text
    n = sql(client, "SELECT count(*) FROM test_ips_ecoles").json()["rows"][0][0]
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == n**3


def test_csv_and_parquet_formats(client: httpx.Client) -> None:
    q = "SELECT uai, effectif FROM test_points ORDER BY uai"
    rows = sql(client, q).json()["rows"]
    csv = sql(client, q, format="csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "uai;effectif" and len(lines) == len(rows) + 1
    parquet = sql(client, q, format="parquet")
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column("uai").to_pylist() == [r[0] for r in rows]
    assert sql(client, q, format="xml").status_code == 400


def test_tables_lists_what_a_query_may_read(client: httpx.Client) -> None:
    body = client.get("/api/v1/sql/tables").json()
    names = {t["name"] for t in body["tables"]}
    assert {"test_points", "test-points", "communes", "indicateurs_valeurs"} <= names
    points = next(t for t in body["tables"] if t["name"] == "test_points")
    assert "uai" in {c["name"] for c in points["columns"]}


HOSTILE_INPUTS = hostile_inputs()


def test_the_hostile_corpus_is_large_enough() -> None:
    assert len(HOSTILE_INPUTS) >= 200
    assert {k for k, _q in HOSTILE_INPUTS} == {"R", "L"}


@pytest.mark.parametrize(
    ("kind", "q"), HOSTILE_INPUTS, ids=[f"{i}-{k}" for i, (k, _q) in enumerate(HOSTILE_INPUTS)]
)
def test_hostile_sql_is_refused_or_stopped(client: httpx.Client, kind: str, q: str) -> None:
    r = sql(client, q)
    assert r.status_code < 500, r.text
    if kind == "R":
        assert r.status_code in (400, 404), r.text
    else:
        assert r.status_code == 400 or r.json()["truncated"] is True, r.text
    if r.status_code >= 400:
        body = r.json()
        assert body["error_code"] in {"SQLError", "ODSQLError", "QueryTimeout", "UnknownRelease"}
        assert body["message"] and "Traceback" not in body["message"]


def test_nothing_was_written_by_the_hostile_corpus(sql_settings: Settings) -> None:
    for path in ("/tmp/x.csv", "/tmp/out.parquet", "/tmp/x.db", "/tmp/db", "/tmp/y"):
        assert not os.path.exists(path) or os.path.getmtime(path) < 0  # never created by us


def test_the_engine_refuses_files_even_past_the_guard(sql_settings: Settings) -> None:
    """Defence in depth: SQL that slipped past the checks still cannot read a file."""
    store = ReleaseStore(sql_settings.var_dir)
    current = store.current_path()
    assert current is not None
    manifest = store.manifest(current.name)
    parquet = current / manifest.published["test-points"].parquet.path  # type: ignore[union-attr]
    for text in (
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/hosts')",
        f"SELECT * FROM read_parquet('{current / 'manifest.json'}')",
        "COPY (SELECT 1) TO '/tmp/ardoise-sql-escape.csv'",
        "SET enable_external_access = true",
        "INSTALL httpfs",
    ):
        query = CheckedSql(text, (("__ardoise_t0", parquet),), (), False, ())
        with pytest.raises(SqlRefused), _connection(query, SqlLimits()) as (_con, cursor):
            cursor.execute(query.sql)
    assert not os.path.exists("/tmp/ardoise-sql-escape.csv")


def test_checked_sql_names_only_allowed_files(tmp_path: Path) -> None:
    allowed = {"t": tmp_path / "t.parquet"}
    checked = check_sql("SELECT * FROM t /* comment */ WHERE x = :v", allowed)
    assert checked.views == (("__ardoise_t0", tmp_path / "t.parquet"),)
    assert "comment" not in checked.sql and "$v" in checked.sql
    assert checked.parameters == ("v",)
    with pytest.raises(SqlRefused, match="Table inconnue"):
        check_sql("SELECT * FROM u", allowed)


def test_the_sql_page_works_without_javascript(client: httpx.Client) -> None:
    empty = client.get("/sql")
    assert empty.status_code == 200
    assert (
        '<form method="get" action="/sql"' in empty.text
        and "<script" not in empty.text.split("<main", 1)[-1].split("</main>", 1)[0]
    )
    assert "Exemples" in empty.text and "test_points" in empty.text
    r = client.get("/sql", params={"q": "SELECT uai, effectif FROM test_points ORDER BY uai"})
    assert r.status_code == 200
    assert "<td>0350001L</td>" in r.text and "<td>120</td>" in r.text
    assert "format=parquet" in r.text and "format=csv" in r.text
    twin = client.get("/sql.json", params={"q": "SELECT uai FROM test_points ORDER BY uai"})
    assert twin.json()["lignes"] == [["0350001L"], ["0690002C"]]


def test_the_sql_page_shows_a_refusal_in_french(client: httpx.Client) -> None:
    r = client.get("/sql", params={"q": "COPY test_points TO '/tmp/x.csv'"})
    assert r.status_code == 200
    assert "fr-alert--error" in r.text and "instruction COPY refusée" in r.text


def test_the_sql_page_truncates_with_a_parquet_link(client: httpx.Client) -> None:
    q = "SELECT a.uai FROM test_ips_ecoles a, test_ips_ecoles b, test_ips_ecoles c"
    r = client.get("/sql", params={"q": q})
    assert "tronqué" in r.text and "format=parquet" in r.text
    assert r.text.count("<tr>") == 40 + 1  # the row cap, plus the header


RECORDS = "/api/explore/v2.1/catalog/datasets/test-calendrier/records"


def test_time_travel_on_explore_records(client: httpx.Client, sql_settings: Settings) -> None:
    old, new = releases(sql_settings)
    now = client.get(RECORDS)
    before = client.get(RECORDS, params={"release": old})
    assert now.status_code == before.status_code == 200, before.text
    assert now.headers["X-Ardoise-Release"] == new
    assert before.headers["X-Ardoise-Release"] == old
    assert before.json()["total_count"] + 1 == now.json()["total_count"]
    on_day = client.get(RECORDS, params={"date": "2099-01-01"})
    assert on_day.headers["X-Ardoise-Release"] == new
    assert client.get(RECORDS, params={"release": "19990101T000000Z-x"}).status_code == 404
    assert client.get(RECORDS, params={"date": "1999-01-01"}).status_code == 404
    assert client.get(RECORDS, params={"date": "demain"}).status_code == 400


def test_retention_bounds_time_travel(sql_settings: Settings) -> None:
    from starlette.testclient import TestClient

    old, _new = releases(sql_settings)
    kept = dataclasses.replace(sql_settings, release_retention=1)
    with TestClient(create_app(kept), raise_server_exceptions=False) as c:
        r = c.get(RECORDS, params={"release": old})
        assert r.status_code == 404 and "plus servie" in r.json()["message"]
        assert c.get(RECORDS).status_code == 200


V21 = "/api/explore/v2.1/catalog/datasets/test-calendrier"
TIME_TRAVEL = {  # a read surface → how many calendar rows its answer says
    "explore v2.1 records": (f"{V21}/records?limit=0", lambda r: r.json()["total_count"]),
    "explore v2.0 records": (
        "/api/explore/v2.0/catalog/datasets/test-calendrier/records?limit=0",
        lambda r: r.json()["total_count"],
    ),
    "explore v2.1 dataset": (
        V21,
        lambda r: r.json()["metas"]["default"]["records_count"],
    ),
    "v1 search": (
        "/api/records/1.0/search/?dataset=test-calendrier&rows=0",
        lambda r: r.json()["nhits"],
    ),
    "csv export": (f"{V21}/exports/csv", lambda r: len(r.text.strip().splitlines()) - 1),
    "jsonl export": (f"{V21}/exports/jsonl", lambda r: len(r.text.strip().splitlines())),
}


@pytest.mark.parametrize("surface", sorted(TIME_TRAVEL))
def test_every_read_surface_travels_in_time(
    client: httpx.Client, sql_settings: Settings, surface: str
) -> None:
    """``release=`` and ``date=`` (issue #18) on the Explore API, v1 and exports, not only SQL:
    the older release answers with its own rows and says which release it is."""
    old, new = releases(sql_settings)
    path, rows = TIME_TRAVEL[surface]
    joiner = "&" if "?" in path else "?"
    now = client.get(path)
    before = client.get(f"{path}{joiner}release={old}")
    dated = client.get(f"{path}{joiner}date=2099-01-01")
    assert now.status_code == before.status_code == dated.status_code == 200, before.text
    assert now.headers["X-Ardoise-Release"] == dated.headers["X-Ardoise-Release"] == new
    assert before.headers["X-Ardoise-Release"] == old
    assert rows(before) + 1 == rows(now) == rows(dated)
    unknown = client.get(f"{path}{joiner}release=19990101T000000Z-deadbeef")
    assert unknown.status_code == 404 and "Release inconnue" in unknown.json()["message"]
