"""Restricted datasets, row- and field-level (issue #16), on every surface.

A control plane (SQLite in the release's var dir) marks the fixture's ``test-ips-ecoles``
restricted; grants are given to an organisation whose API key reads. The property test
draws random grants (row filter, hidden fields) and random queries, and checks that each
surface returns exactly the rows of the public query that the grant's filter admits, with
exactly the grant's fields — against an oracle written here in Python over every row of
the dataset, not through the query layer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ardoise.controlplane import datasets, keys, organisations, restrictions
from ardoise.controlplane.database import open_control_plane
from ardoise.controlplane.permissions import OPERATOR
from ardoise.settings import Settings
from ardoise.web.app import create_app

DS = "test-ips-ecoles"
OWNER, READER_ORG = "depp", "academie-rennes"
EXPLORE = "/api/explore/v2.1/catalog/datasets"
V20 = "/api/explore/v2.0/catalog/datasets"
FIELDS = (
    "rentree_scolaire",
    "code_du_departement",
    "uai",
    "nom_de_l_ecole",
    "code_insee_de_la_commune",
    "secteur",
    "ips",
    "annee_scolaire",
)

Row = dict[str, Any]
# ODSQL condition → the same condition in Python (None: no condition)
CONDITIONS: dict[str | None, Callable[[Row], bool]] = {
    None: lambda r: True,
    'secteur = "public"': lambda r: r["secteur"] == "public",
    'code_du_departement = "42"': lambda r: r["code_du_departement"] == "42",
    "ips > 95": lambda r: r["ips"] is not None and r["ips"] > 95,
    'secteur = "public" and ips < 100': lambda r: (
        r["secteur"] == "public" and r["ips"] is not None and r["ips"] < 100
    ),
}


@dataclass
class World:
    client: Any
    engine: Engine
    full_key: str  # an organisation granted every row and field: the public query
    key: str  # the organisation whose grants the test draws
    rows: dict[str, Row]  # every row of the dataset, by record id
    csv_header: set[str]  # the columns of its full CSV export
    meta_fields: list[str]  # the fields its metadata lists, to a full grant


@pytest.fixture(scope="module")
def world(api_settings_restricted: Settings) -> Iterator[World]:
    from starlette.testclient import TestClient

    settings = api_settings_restricted
    engine = open_control_plane(settings)
    with engine.begin() as conn:
        for org, siret, kind in (
            (OWNER, "13002526500013", "direction"),
            (READER_ORG, "21690123100011", "commune"),
            ("voisin", "23690001900019", "region"),
        ):
            organisations.create_organisation(
                conn, OPERATOR, id=org, name=org, siret=siret, type=kind
            )
        datasets.declare_dataset(conn, OPERATOR, OWNER, DS)
        restrictions.restrict(conn, OPERATOR, DS)
        restrictions.grant_access(conn, OPERATOR, DS, "voisin")
        full_key = keys.create_key(conn, OPERATOR, "voisin", "lecture", ["lire"])[1]
        key = keys.create_key(conn, OPERATOR, READER_ORG, "lecture", ["lire"])[1]
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as client:
        page = client.get(f"{V20}/{DS}/records?limit=100", headers=_auth(full_key))
        assert page.status_code == 200, page.text
        rows = {
            r["record"]["id"]: {f: r["record"]["fields"].get(f) for f in FIELDS}
            for r in page.json()["records"]
        }
        assert len(rows) >= 4
        full_csv = client.get(f"{EXPLORE}/{DS}/exports/csv", headers=_auth(full_key)).text
        header = set(next(csv.reader(io.StringIO(full_csv.lstrip("\ufeff")), delimiter=";")))
        meta = client.get(f"{EXPLORE}/{DS}", headers=_auth(full_key)).json()
        names = [f["name"] for f in meta["fields"]]
        yield World(client, engine, full_key, key, rows, header, names)
    engine.dispose()


@pytest.fixture(scope="module")
def api_settings_restricted(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from ardoise.release.build import build_release
    from ardoise.settings import load_settings
    from tests.conftest import ROOT
    from tests.fixtures import fake_referential, write_catalog, write_mirror

    tmp = tmp_path_factory.mktemp("restreint")
    made = load_settings(
        environ={},
        mirror=write_mirror(tmp / "mirror"),
        catalog_dir=write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
    )
    assert build_release(made, build_referential_fn=fake_referential).published
    return made


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _set_grant(world: World, row_filter: str | None, hidden: frozenset[str]) -> None:
    with world.engine.begin() as conn:
        for grant in restrictions.grants_on(conn, OPERATOR, DS):
            if grant.organisation_id == READER_ORG:
                restrictions.withdraw_access(conn, OPERATOR, grant.id)
        restrictions.grant_access(
            conn, OPERATOR, DS, READER_ORG, row_filter=row_filter, hidden=tuple(sorted(hidden))
        )


def _expected(world: World, grant: str | None, query: str | None, hidden: frozenset[str]):
    shown = [f for f in FIELDS if f not in hidden]
    return {
        rid: {f: row[f] for f in shown}
        for rid, row in world.rows.items()
        if CONDITIONS[grant](row) and CONDITIONS[query](row)
    }


def _where(query: str | None) -> str:
    return "" if query is None else f"&where={query}"


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    grant=st.sampled_from(list(CONDITIONS)),
    query=st.sampled_from(list(CONDITIONS)),
    hidden=st.frozensets(st.sampled_from(["ips", "nom_de_l_ecole", "uai", "rentree_scolaire"])),
)
def test_every_surface_returns_public_rows_within_the_grant(
    world: World, grant: str | None, query: str | None, hidden: frozenset[str]
) -> None:
    _set_grant(world, grant, hidden)
    expected = _expected(world, grant, query, hidden)
    h = _auth(world.key)
    get = world.client.get

    # records (v2.1 and v2.0): exactly the expected rows, with exactly the expected fields
    page = get(f"{EXPLORE}/{DS}/records?limit=100{_where(query)}", headers=h)
    if query is not None and any(name in query for name in hidden):
        # a hidden field cannot be named, not even in a filter: no row is told apart by it
        assert page.status_code == 400, page.text
        assert "Unknown field" in page.json()["message"]
        return
    assert page.status_code == 200, page.text
    results = page.json()["results"]
    assert sorted(map(_key, results)) == sorted(map(_key, expected.values()))
    assert page.json()["total_count"] == len(expected)
    v20 = get(f"{V20}/{DS}/records?limit=100{_where(query)}", headers=h).json()["records"]
    got = {r["record"]["id"]: r["record"]["fields"] for r in v20}
    assert {k: _present(v) for k, v in got.items()} == {k: _present(v) for k, v in expected.items()}

    # exports: JSON and CSV, every row of the grant and no more
    exported = get(f"{EXPLORE}/{DS}/exports/json?{_where(query)[1:]}", headers=h).json()
    assert sorted(map(_key, exported)) == sorted(map(_key, expected.values()))
    text = get(f"{EXPLORE}/{DS}/exports/csv?{_where(query)[1:]}", headers=h).text.lstrip("\ufeff")
    header = next(csv.reader(io.StringIO(text), delimiter=";"))
    assert set(header) == world.csv_header - hidden
    assert len(text.strip().splitlines()) - 1 == len(expected)

    # facets: counted over the grant's rows only
    if "secteur" not in hidden:
        facets = get(f"{EXPLORE}/{DS}/facets?facet=secteur{_where(query)}", headers=h).json()
        counts = {v["value"]: v["count"] for g in facets["facets"] for v in g["facets"]}
        wanted: dict[str, int] = {}
        for row in expected.values():
            wanted[row["secteur"]] = wanted.get(row["secteur"], 0) + 1
        assert counts == wanted

    # a hidden field cannot be named
    for name in hidden:
        refused = get(f"{EXPLORE}/{DS}/records?select={name}", headers=h)
        assert refused.status_code == 400, refused.text

    # v1 (no ODSQL there: every row of the grant)
    v1 = get(f"/api/records/1.0/search/?dataset={DS}&rows=100", headers=h).json()
    assert v1["nhits"] == len(_expected(world, grant, None, hidden))
    assert all(set(r["fields"]) <= set(FIELDS) - hidden for r in v1["records"])

    # record by id: the grant's records, never another
    for rid in world.rows:
        one = get(f"{EXPLORE}/{DS}/records/{rid}", headers=h)
        if CONDITIONS[grant](world.rows[rid]):
            assert one.status_code == 200, one.text
            assert set(one.json()) - {"_id", "_timestamp", "_size"} <= set(FIELDS) - hidden
        else:
            assert one.status_code == 404

    # metadata: the grant's fields, the grant's row count
    meta = get(f"{EXPLORE}/{DS}", headers=h).json()
    assert [f["name"] for f in meta["fields"]] == [f for f in world.meta_fields if f not in hidden]
    everything = _expected(world, grant, None, frozenset())
    assert meta["metas"]["default"]["records_count"] == len(everything)

    # SQL: a grant with a filter or hidden fields is never raw SQL over the file
    sql = get(f"/api/v1/sql?q=SELECT count(*) AS n FROM {DS.replace('-', '_')}", headers=h)
    if grant is None and not hidden:
        assert sql.status_code == 200, sql.text
    else:
        assert sql.status_code in (400, 404), sql.text


def _present(row: Row) -> Row:
    """The fields that hold a value (v2.0 leaves empty ones out, as the portal does)."""
    return {k: v for k, v in row.items() if v is not None}


def _key(row: Row) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in row.items() if v is not None))


ANONYMOUS_PATHS = (
    f"{EXPLORE}/{DS}",
    f"{EXPLORE}/{DS}/records",
    f"{EXPLORE}/{DS}/facets",
    f"{EXPLORE}/{DS}/exports/csv",
    f"{EXPLORE}/{DS}/exports/parquet",
    f"/api/records/1.0/search/?dataset={DS}",
    f"/api/datasets/1.0/{DS}/",
    f"/donnees/{DS}",
    f"/donnees/{DS}.json",
)


@pytest.mark.parametrize("path", ANONYMOUS_PATHS)
def test_a_restricted_dataset_does_not_exist_for_the_anonymous(world: World, path: str) -> None:
    assert world.client.get(path).status_code == 404


def test_the_catalog_dcat_sql_and_mcp_never_show_it_to_the_anonymous(world: World) -> None:
    get = world.client.get
    listing = get(f"{EXPLORE}?limit=100").json()
    ids = {d["dataset_id"] for d in listing["results"]}
    assert DS not in ids and "test-points" in ids
    assert listing["total_count"] == len(ids)
    assert DS not in get("/api/explore/v2.1/catalog/exports/dcat?format=turtle").text
    tables = get("/api/v1/sql/tables").text
    assert DS.replace("-", "_") not in tables
    assert get(f"/api/v1/sql?q=SELECT * FROM {DS.replace('-', '_')}").status_code in (400, 404)
    assert DS not in get("/donnees").text
    assert DS not in get("/api/v1/datapackage.json").text
    assert "test-points" in get("/api/v1/datapackage.json").text
    rid = get("/health").json()["release"]
    log = get(f"/api/v1/releases/{rid}/changelog").json()
    assert log["datasets"] and DS not in {d["dataset_id"] for d in log["datasets"]}
    assert DS not in get("/api/v1/changelog.atom").text
    assert DS not in get("/llms.txt").text
    # MCP: even with a key whose grant is full, the MCP surface reads as the anonymous
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "describe_dataset", "arguments": {"dataset_id": DS}},
    }
    headers = {"Accept": "application/json, text/event-stream", **_auth(world.full_key)}
    answer = world.client.post("/mcp", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["isError"] is True
    body["params"] = {"name": "search_datasets", "arguments": {"query": "test"}}
    found = world.client.post("/mcp", json=body, headers=headers)
    assert found.status_code == 200 and "test-points" in found.text
    assert DS not in found.text


def test_an_unknown_key_is_refused_not_read_as_anonymous(world: World) -> None:
    answer = world.client.get(f"{EXPLORE}?limit=1", headers=_auth("ard_" + "x" * 43))
    assert answer.status_code == 401
    assert answer.json()["message"] == "Clé d'API inconnue ou révoquée."


def test_withdrawing_a_grant_hides_the_dataset_again(world: World) -> None:
    _set_grant(world, None, frozenset())
    h = _auth(world.key)
    assert world.client.get(f"{EXPLORE}/{DS}", headers=h).status_code == 200
    with world.engine.begin() as conn:
        for grant in restrictions.grants_on(conn, OPERATOR, DS):
            if grant.organisation_id == READER_ORG:
                restrictions.withdraw_access(conn, OPERATOR, grant.id)
    assert world.client.get(f"{EXPLORE}/{DS}", headers=h).status_code == 404
    assert DS not in world.client.get(f"{EXPLORE}?limit=100", headers=h).text


def test_a_grant_holder_reads_the_dashboard_page_of_their_rows(world: World) -> None:
    _set_grant(world, 'code_du_departement = "42"', frozenset({"ips"}))
    h = _auth(world.key)
    page = world.client.get(f"/donnees/{DS}.json", headers=h)
    assert page.status_code == 200, page.text
    assert '"ips"' not in page.text  # the hidden field is not drawn
    html = world.client.get(f"/donnees/{DS}", headers=h)
    assert html.status_code == 200 and "ECOLE STE" in html.text
    assert "GUEDELAIS" not in html.text  # a row of another département
    assert world.client.get(f"/donnees/{DS}").status_code == 404  # the anonymous' cache


def test_a_signed_in_member_reads_by_session_and_its_answers_are_not_cached(
    world: World,
) -> None:
    from ardoise.controlplane import accounts
    from ardoise.controlplane.session import COOKIE, new_session

    _set_grant(world, 'secteur = "public"', frozenset())
    with world.engine.begin() as conn:
        found = conn.execute(
            accounts.comptes.select().where(accounts.comptes.c.email == "membre@lyon.fr")
        ).first()
        if found is None:
            account = accounts.create_local_account(
                conn, OPERATOR, email="membre@lyon.fr", name="Membre", password="x" * 12
            )
            organisations.add_member(conn, OPERATOR, READER_ORG, account.id, "relecteur")
            account_id = account.id
        else:
            account_id = found._mapping["id"]
    signin = world.client.app.state.signin
    cookie = signin.sessions._signer.dumps(new_session(account_id).__dict__)
    h = {"Cookie": f"{COOKIE}={cookie}"}
    page = world.client.get(f"{V20}/{DS}/records?limit=100", headers=h)
    assert page.status_code == 200, page.text
    expected = _expected(world, 'secteur = "public"', None, frozenset())
    assert {r["record"]["id"] for r in page.json()["records"]} == set(expected)
    assert page.headers.get("x-cache") != "hit"
    assert world.client.get(f"{V20}/{DS}/records?limit=100").status_code == 404
    forged = {"Cookie": f"{COOKIE}={cookie[:-3]}abc"}  # a tampered cookie: the anonymous
    assert world.client.get(f"{V20}/{DS}/records?limit=100", headers=forged).status_code == 404


def test_tables_derived_from_it_are_closed_like_it(world: World) -> None:
    """The release's derived tables (a school's rows year by year…) carry the restricted
    dataset's values: whoever may not read it whole may not read them either; a full grant
    reads them."""
    from ardoise.release.school_descriptors import DERIVED_IDS

    public = world.client.get(f"{EXPLORE}?limit=100").json()["results"]
    everything = world.client.get(f"{EXPLORE}?limit=100", headers=_auth(world.full_key)).json()
    derived = {d["dataset_id"] for d in everything["results"]} & set(DERIVED_IDS)
    assert derived, "the fixture release has derived tables"
    assert not derived & {d["dataset_id"] for d in public}
    for ds in derived:
        assert world.client.get(f"{EXPLORE}/{ds}/records").status_code == 404
        assert world.client.get(f"{EXPLORE}/{ds}/exports/csv").status_code == 404
        full = world.client.get(f"{EXPLORE}/{ds}/records", headers=_auth(world.full_key))
        assert full.status_code == 200
    _set_grant(world, 'secteur = "public"', frozenset())  # a partial grant: still closed
    for ds in derived:
        partial = world.client.get(f"{EXPLORE}/{ds}/records", headers=_auth(world.key))
        assert partial.status_code == 404
    assert not derived & set(world.client.get("/api/v1/sql/tables").text.split('"'))
    assert (
        "etablissements"
        not in world.client.get("/api/explore/v2.1/catalog/exports/dcat?format=turtle").text
    )
