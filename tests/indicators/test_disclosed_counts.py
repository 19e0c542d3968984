"""A count indicator of a restricted dataset is published to readers without a full grant
under disclosure control (issue #16): a cell under the threshold is served with no value
and its status, and enough other cells are suppressed that no hidden cell can be
recomputed from the published ones. A rate of the same dataset stays withheld; a full
grant sees every value; an indicator of a public dataset is unchanged.

The attacker is written here: the relations come from the fixture's rows and referential
(``sample_secret``), the interval of each hidden cell from scipy's linear programming, not
from the code under test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import duckdb
import pytest
from scipy.optimize import linprog

from ardoise.query import indicators
from ardoise.query.access import Grant, Reader, reading_as
from ardoise.query.release import ServedRelease
from ardoise.query.sql_run import reader_grant
from ardoise.query.sql_tables import PUBLIC
from ardoise.settings import Settings
from tests.fixtures import sample_release
from tests.indicators import sample, sample_secret

RESTRICTED = "fr-en-lycee_pro-effectifs-niveau-sexe-lv"
COUNT, RATE = "effectif_lycees_pro", "part_filles_lycees_pro"
YEAR = "2022-2023"
LEVELS = ("etablissement", "departement", "academie", "region", "france")
SMALL = ("0690020X", "0760001N")  # 3 and 2 pupils

Cell = tuple[str, str]  # (niveau, code)


@pytest.fixture(scope="module")
def secret_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return sample_release(tmp_path_factory.mktemp("secret"), sample_secret)


@pytest.fixture(scope="module")
def release(secret_settings: Settings) -> ServedRelease:
    path = (secret_settings.var_dir / "current").resolve()
    served = ServedRelease(path, secret_settings, lambda: frozenset({RESTRICTED}))
    assert RESTRICTED in served.views
    return served


@pytest.fixture(scope="module")
def truth(release: ServedRelease) -> dict[Cell, float]:
    """The values computed at publication (every row), read from the release's file."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT niveau, code, valeur FROM read_parquet($p) WHERE indicateur = $i "
            "AND annee_scolaire = $y AND statut = 'ok'",
            {"p": str(release.path / "indicators" / "valeurs.parquet"), "i": COUNT, "y": YEAR},
        ).fetchall()
    finally:
        con.close()
    return {(r[0], r[1]): r[2] for r in rows}


def _served(release: ServedRelease) -> dict[Cell, indicators.IndicatorValue]:
    out = {}
    for level in LEVELS:
        for v in indicators.indicator_values(release, COUNT, level, YEAR).values:
            if v.statut != "absent":
                out[(v.niveau, v.code)] = v
    return out


def _relations() -> list[tuple[Cell, list[Cell]]]:
    """parent = Σ children, from the fixture's rows and the sample's referential."""
    schools: dict[str, list[Cell]] = defaultdict(list)
    for _, uai, _, dep, *_ in sample_secret.LYCEES_PRO:
        schools[sample_secret.DEPARTEMENTS[dep]].append(("etablissement", uai))
    deps: dict[str, list[Cell]] = defaultdict(list)
    for dep in schools:
        deps[sample.DEPARTEMENTS[dep][2]].append(("departement", dep))
    academies: dict[str, list[Cell]] = defaultdict(list)
    for aca in deps:
        academies[sample.ACADEMIES[aca][1]].append(("academie", aca))
    out: list[tuple[Cell, list[Cell]]] = []
    out += [(("departement", d), kids) for d, kids in schools.items()]
    out += [(("academie", a), kids) for a, kids in deps.items()]
    out += [(("region", r), kids) for r, kids in academies.items()]
    out.append((("france", "FR"), [("region", r) for r in academies]))
    return out


def test_the_fixture_is_additive(truth: dict[Cell, float]) -> None:
    relations = _relations()
    assert len(relations) == 5 + 3 + 3 + 1
    for parent, kids in relations:
        assert truth[parent] == sum(truth[k] for k in kids), parent
    assert all(truth[("etablissement", uai)] < 5 for uai in SMALL)


def test_the_anonymous_sees_the_small_counts_suppressed(
    release: ServedRelease, truth: dict[Cell, float]
) -> None:
    info = indicators.indicator(release, COUNT)
    assert info.secret and any("secret statistique" in p for p in indicators.how_to_read(info))
    served = _served(release)
    assert set(served) == set(truth)  # every cell is served: with its value or its status
    for uai in SMALL:
        v = served[("etablissement", uai)]
        assert (v.valeur, v.base, v.statut, v.secret) == (None, None, "secret_statistique", "A")
        assert v.secret_libelle == "secret : effectif inférieur au seuil"
        assert (v.rang, v.rang_sur, v.provenance.requete) == (None, None, None)
    assert served[("departement", "76")].secret == "A"  # 2 pupils too
    for cell, v in served.items():
        if v.secret is None:
            assert (v.statut, v.valeur) == ("ok", truth[cell])
        else:
            assert v.valeur is None and v.statut == "secret_statistique"
    assert served[("france", "FR")].valeur == truth[("france", "FR")]


def test_no_hidden_cell_can_be_recomputed(release: ServedRelease, truth: dict[Cell, float]) -> None:
    served = _served(release)
    hidden = sorted(c for c, v in served.items() if v.secret is not None)
    assert len(hidden) > 3  # the two schools, Seine-Maritime, and what protects them
    relations = _relations()
    for parent, kids in relations:  # parent − Σ published children never gives one cell
        assert sum(1 for c in (parent, *kids) if c in hidden) != 1, (parent, kids)
    column = {c: j for j, c in enumerate(hidden)}
    rows, rhs = [], []
    for parent, kids in relations:
        row = [0.0] * len(hidden)
        known = 0.0
        for cell, sign in ((parent, 1.0), *((k, -1.0) for k in kids)):
            if cell in column:
                row[column[cell]] += sign
            else:
                known += sign * served[cell].valeur  # type: ignore[operator]
        if any(row):
            rows.append(row)
            rhs.append(-known)
    for cell in hidden:
        bounds = []
        for sense in (1.0, -1.0):
            cost = [0.0] * len(hidden)
            cost[column[cell]] = sense
            found = linprog(cost, A_eq=rows, b_eq=rhs, bounds=(0, None), method="highs")
            bounds.append(sense * found.fun if found.status == 0 else None)
        low, high = bounds[0], bounds[1]
        assert low is not None and low <= truth[cell]
        assert high is None or high >= truth[cell]
        assert high is None or high - low >= 1, (cell, low, high)  # never pinned


def test_ranks_count_the_published_cells_only(release: ServedRelease) -> None:
    values = indicators.indicator_values(
        release, COUNT, "etablissement", YEAR, ("departement", "69")
    ).values
    published = sorted((v for v in values if v.secret is None), key=lambda v: -(v.valeur or 0))
    assert [(v.rang, v.rang_sur) for v in published] == [
        (i, len(published)) for i in range(1, len(published) + 1)
    ]
    assert all(v.rang is None for v in values if v.secret is not None)


def test_the_rate_of_the_restricted_dataset_stays_withheld(release: ServedRelease) -> None:
    listed = {i.definition.id for i in indicators.list_indicators(release)}
    assert COUNT in listed and RATE not in listed
    with pytest.raises(indicators.IndicatorNotFound):
        indicators.indicator(release, RATE)
    assert indicators.hides_indicators(release)  # the raw values stay out of SQL
    assert not reader_grant(release, PUBLIC).indicators


def test_a_partial_grant_gets_the_protected_count(release: ServedRelease) -> None:
    with reading_as(Reader(grants=((RESTRICTED, Grant(row_filter='academie = "LYON"')),))):
        served = _served(release)
        assert served[("etablissement", SMALL[0])].secret == "A"
        with pytest.raises(indicators.IndicatorNotFound):
            indicators.indicator(release, RATE)


def test_a_full_grant_sees_every_value(release: ServedRelease, truth: dict[Cell, float]) -> None:
    with reading_as(Reader(grants=((RESTRICTED, Grant()),))):
        served = _served(release)
        assert {c: v.valeur for c, v in served.items()} == truth
        assert all(v.secret is None and v.statut == "ok" for v in served.values())
        assert not indicators.indicator(release, COUNT).secret
        assert indicators.indicator(release, RATE).definition.id == RATE


def test_a_public_dataset_s_indicator_is_unchanged(
    release: ServedRelease, secret_settings: Settings
) -> None:
    public = ServedRelease(release.path, secret_settings)
    for ident in ("taux_reussite_bac", "nb_ecoles_ips"):
        for level in ("departement", "france"):
            if level not in indicators.indicator(public, ident).definition.levels:
                continue
            assert indicators.indicator_values(release, ident, level) == (
                indicators.indicator_values(public, ident, level)
            )
            assert not indicators.indicator(release, ident).secret


def test_a_territory_page_serves_the_protected_values(release: ServedRelease) -> None:
    found = indicators.territory_indicators(release, "departement", "76", YEAR, only={COUNT})
    (item,) = found.items
    assert (item.value.valeur, item.value.secret) == (None, "A")
    assert all(s.valeur is None for s in item.serie if s.annee == YEAR)
    by_level = {p.niveau: p for p in item.parents}
    assert by_level["france"].valeur is not None
    from ardoise.dashboard.absence import absence

    note = absence(release, item, "departement", "76", "Seine-Maritime")
    assert note is not None and "secret statistique" in note.texte and "pas un zéro" in note.texte


@pytest.fixture(scope="module")
def client(secret_settings: Settings) -> Iterator[object]:
    from starlette.testclient import TestClient

    from ardoise.controlplane import datasets, organisations, restrictions
    from ardoise.controlplane.database import open_control_plane
    from ardoise.controlplane.permissions import OPERATOR
    from ardoise.web.app import create_app

    engine = open_control_plane(secret_settings)
    with engine.begin() as conn:
        organisations.create_organisation(
            conn, OPERATOR, id="depp", name="depp", siret="13002526500013", type="direction"
        )
        datasets.declare_dataset(conn, OPERATOR, "depp", RESTRICTED)
        restrictions.restrict(conn, OPERATOR, RESTRICTED)
    with TestClient(create_app(secret_settings), raise_server_exceptions=False) as c:
        yield c
    engine.dispose()


def test_every_surface_serves_the_status_not_the_value(client: object) -> None:
    from starlette.testclient import TestClient

    assert isinstance(client, TestClient)
    api = client.get(
        f"/api/v1/indicateurs/{COUNT}/valeurs", params={"niveau": "etablissement", "annee": YEAR}
    )
    assert api.status_code == 200, api.text
    by_code = {v["code"]: v for v in api.json()["valeurs"]}
    small = by_code[SMALL[0]]
    assert small["valeur"] is None and small["statut"] == "secret_statistique"
    assert small["secret"]["code"] == "A" and small["base"] is None
    assert client.get(f"/api/v1/indicateurs/{RATE}").status_code == 404
    details = client.get(f"/api/v1/indicateurs/{COUNT}").json()
    assert details["secret_statistique"] == {"seuil": 5}
    assert any("secret statistique" in p for p in details["comment_lire"])
    page = client.get(f"/indicateurs/{COUNT}?niveau=etablissement&parent=departement:69")
    assert page.status_code == 200
    assert "secret : effectif inférieur au seuil" in page.text  # the dashboard's table
    assert "secret statistique" in page.text  # « Comment lire ces chiffres »


def test_the_mcp_tools_serve_the_status_not_the_value(release: ServedRelease) -> None:
    from ardoise.mcp import indicators as tools
    from ardoise.mcp.citations import Citer

    citer = Citer.of(release, "https://ardoise.example")
    found = tools.compare_territories(
        release, citer, COUNT, ["departement:76", "departement:69", f"etablissement:{SMALL[0]}"]
    )
    by_code = {f.code: f for f in found.valeurs}
    for code in ("76", SMALL[0]):
        figure = by_code[code]
        assert (figure.valeur, figure.statut) == (None, "secret_statistique")
        assert figure.secret == "secret : effectif inférieur au seuil"
    assert by_code["69"].valeur == 503
    assert "secret statistique" in found.message
    one = tools.get_indicator(release, citer, COUNT, f"etablissement:{SMALL[0]}", YEAR)
    assert one.valeur.valeur is None and "secret statistique" in one.message
    listed = {i.id for i in tools.list_indicators(release, citer).indicateurs}
    assert COUNT in listed and RATE not in listed
    from ardoise.mcp.documents import indicator_document

    assert "## Secret statistique" in indicator_document(release, COUNT)


def test_the_protection_is_computed_when_the_release_loads(client: object) -> None:
    """Off the first request: the web app's warm-up computes it for the anonymous reader."""
    import time

    from starlette.testclient import TestClient

    assert isinstance(client, TestClient)
    holder = client.app.state.releases  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while not holder.get().memoised(("indicator_disclosure", COUNT, 5)):
        assert time.monotonic() < deadline, "protection not computed at the release's load"
        time.sleep(0.05)


def test_the_threshold_is_a_setting(release: ServedRelease, secret_settings: Settings) -> None:
    from dataclasses import replace

    lower = ServedRelease(
        release.path,
        replace(secret_settings, indicateurs_secret_seuil=3),
        lambda: frozenset({RESTRICTED}),
    )
    schools = {
        v.code: v for v in indicators.indicator_values(lower, COUNT, "etablissement", YEAR).values
    }
    assert schools[SMALL[0]].valeur == 3  # 3 pupils: published under a threshold of 3
    assert schools[SMALL[1]].secret == "A"  # 2 pupils: still hidden
    info = indicators.indicator(lower, COUNT)
    assert info.secret == 3
    assert any("inférieure à 3 " in p for p in indicators.how_to_read(info))
