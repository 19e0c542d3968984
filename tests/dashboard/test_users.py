"""Issue #20: the paths of five users (a parent on a phone, a lycée head, a journalist, a
local-authority officer, a researcher) in a real browser at 390×844, each on a server on a
free (non-default) port: what stopped them must hold fixed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from ardoise.french import plural
from ardoise.settings import Settings
from ardoise.web.app import create_app

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow


# --- 1. links built from the request (or ARDOISE_PUBLIC_URL) ---------------------------------


def test_researcher_downloads_and_api_examples_work_as_served(
    phone: tuple[Any, list[str]], base_url: str
) -> None:
    page, errors = phone
    page.goto(base_url + "/donnees/fr-en-ips-ecoles-ap2022", wait_until="load")
    hrefs = page.eval_on_selector_all(
        ".ar-downloads a", "as => as.map(a => a.getAttribute('href'))"
    )
    assert hrefs and all(h.startswith(base_url + "/api/") for h in hrefs), hrefs
    examples = page.eval_on_selector_all("pre.ar-code code", "cs => cs.map(c => c.textContent)")
    assert examples and all(base_url + "/api/" in e for e in examples)
    assert "127.0.0.1:8000" not in page.content()
    answer = httpx.get(hrefs[0], timeout=30)  # the link works as served
    assert answer.status_code == 200 and answer.content
    assert errors == []


def test_public_url_when_set_wins_over_the_request(dash_settings: Settings) -> None:
    settings = dash_settings.replace(public_url="https://ardoise.example/")
    with TestClient(create_app(settings)) as c:
        html = c.get("/donnees/fr-en-ips-ecoles-ap2022").text
    assert "https://ardoise.example/api/explore/v2.1/catalog/datasets/" in html
    assert "http://testserver/api/" not in html


# --- 2. the API documentation renders offline ------------------------------------------------


def test_api_docs_render_offline(phone: tuple[Any, list[str]], base_url: str) -> None:
    page, errors = phone
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(base_url + "/api/docs", wait_until="load")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "Ardoise" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".swagger-ui .opblock").count() > 10  # the operations are listed
    assert outside == []
    assert errors == []


# --- 4. no table overflows; 6. French chart names, announced selects, tap targets ---------

PAGES = (
    "/",
    "/territoires/departement/69",
    "/territoires/academie/10",
    "/territoires/commune/42218",
    "/etablissements/0690001B",
    "/etablissements/0690026D",  # a lycée: its bac results
    "/indicateurs/ips_moyen_ecoles",
    "/indicateurs/taux_reussite_bac_lycee",
    "/donnees/fr-en-ips-ecoles-ap2022",
    "/qualite",
    "/a-propos",
    "/indicateurs",
)
TABLES = """() => Array.from(document.querySelectorAll('main table')).map(t => {
  const box = t.closest('.fr-table__container');
  return {caption: (t.caption || {}).textContent, width: t.getBoundingClientRect().width,
    room: box ? box.clientWidth : 0, right: t.getBoundingClientRect().right,
    overflow: box ? getComputedStyle(box).overflowX : '', role: box && box.getAttribute('role'),
    label: box && box.getAttribute('aria-label'), tab: box && box.getAttribute('tabindex'),
    id: (t.closest('.fr-table') || {}).id};
})"""
TARGETS = """() => Array.from(document.querySelectorAll(
  'main a[href], main button, main select, main input, main summary, footer a[href]'))
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 24)
  .map(e => e.outerHTML.slice(0, 90))"""


@pytest.mark.parametrize("url", PAGES)
def test_phone_pages_fit_name_their_charts_and_targets(
    phone: tuple[Any, list[str]], base_url: str, url: str
) -> None:
    page, errors = phone
    page.goto(base_url + url, wait_until="load")
    charts = page.locator("[data-spec]")
    if charts.count():
        page.wait_for_function(
            "Array.from(document.querySelectorAll('[data-spec]'))"
            ".every(e => e.getAttribute('data-drawn') === '1')",
            timeout=15_000,
        )
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{url}: la page déborde ({width})"
    for table in page.evaluate(TABLES):
        if table["id"] == "comparaisons":  # the key figures: every column visible, no scroll
            assert table["width"] <= table["room"] + 1, f"{url}: chiffres clés coupés {table}"
        elif table["width"] > table["room"] + 1:  # wider: an explicit, named scroll region
            assert table["overflow"] in ("auto", "scroll"), table
            assert table["role"] == "region" and table["label"] and table["tab"] == "0", table
    names = page.eval_on_selector_all(
        "[data-spec]", "es => es.map(e => [e.getAttribute('role'), e.getAttribute('aria-label')])"
    )
    for role, name in names:
        assert role == "img" and name and "Vega" not in name, (url, role, name)
        assert page.get_by_role("img", name=name, exact=True).count() >= 1
    for select in page.locator("main select").all():
        hint = select.get_attribute("aria-describedby")
        assert hint, f"{url}: liste sans annonce"
        assert "se met à jour" in page.inner_text(f"#{hint}")
    assert page.evaluate(TARGETS) == [], f"{url}: cibles tactiles < 24 px"
    assert errors == []


# --- 10. French: « version », no raw dataset codes on the home page, agreed plurals ----------


@pytest.mark.parametrize("url", [*PAGES, "/donnees"])
def test_pages_speak_french(phone: tuple[Any, list[str]], base_url: str, url: str) -> None:
    page, errors = phone
    page.goto(base_url + url, wait_until="load")
    text = page.inner_text("body")
    assert re.search(r"\brelease", text, re.IGNORECASE) is None, f"{url}: « release » affiché"
    assert "(s)" not in text, f"{url}: pluriel non accordé"
    assert re.search(r"\b1 \w+s manquantes\b|\b[2-9] valeur manquante", text) is None
    assert re.search(r"\bde [AEIOUYÉ]\w", text) is None, f"{url}: élision manquante"
    if url == "/":  # key figures name their source datasets by title, not by raw code
        figures = httpx.get(base_url + "/index.json", timeout=30).json()["chiffres"]
        shown = page.eval_on_selector_all(".ar-figure__meta", "ms => ms.map(m => m.textContent)")
        assert figures and len(shown) == len(figures)
        for figure, meta in zip(figures, shown, strict=True):
            titles = [
                httpx.get(f"{base_url}/api/explore/v2.1/catalog/datasets/{ds}", timeout=30).json()[
                    "metas"
                ]["default"]["title"]
                for ds in figure["sources"]
            ]
            assert meta.endswith("source : " + ", ".join(titles)), (meta, titles)
    assert errors == []


def test_plural_agreement() -> None:
    assert [plural(n, "valeur manquante") for n in (0, 1, 2)] == [
        "0 valeur manquante",
        "1 valeur manquante",
        "2 valeurs manquantes",
    ]


# --- 5. exports carry their source; each chart offers a citation ------------------------------


def test_journalist_cites_and_downloads_a_chart(
    phone: tuple[Any, list[str]], base_url: str, dash_settings: Settings
) -> None:
    page, errors = phone
    url = "/territoires/departement/69"
    page.goto(base_url + url, wait_until="load")
    twin = httpx.get(base_url + url + ".json", timeout=30).json()
    release, day = twin["page"]["release"], twin["page"]["release_date"][:10]
    assert twin["charts"]
    for chart in twin["charts"]:
        figure = page.locator(f"#graphique-{chart['id']}")
        figure.locator(".ar-cite summary").click()
        cited = figure.locator(".ar-citation").inner_text()
        assert cited.startswith(f"« {chart['titre']} », d’après ")
        assert f"version {release} du " in cited and cited.endswith(base_url + url)
        for source in chart["sources"]:
            assert source["titre"] in cited
        with page.expect_download() as download:
            figure.locator(f'a[href="{chart["telechargements"]["svg"]}"]').click()
        svg = Path(download.value.path()).read_text("utf-8")
        assert "Source : " in svg and f"Ardoise, version {release} du " in svg
        csv = httpx.get(base_url + chart["telechargements"]["csv"], timeout=30)
        sidecar_url = chart["telechargements"]["txt"]
        assert csv.headers["link"] == f'<{sidecar_url}>; rel="describedby"'
        sidecar = httpx.get(base_url + sidecar_url, timeout=30)
        assert sidecar.status_code == 200 and sidecar.headers["content-type"].startswith("text/")
        assert f"Fichier : {base_url}{chart['telechargements']['csv']}" in sidecar.text
        assert f"Version des données : {release} du " in sidecar.text
        assert cited in sidecar.text
        png = httpx.get(base_url + chart["telechargements"]["png"], timeout=60)
        assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert day[:4] in cited
    assert errors == []


# --- 3. a commune lists every school, by type and sector, counted per type ------------------


def test_officer_filters_and_pages_through_every_school_of_a_commune(
    phone: tuple[Any, list[str]], base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ardoise.dashboard import school_list

    monkeypatch.setattr(school_list, "PAGE_SIZE", 1)  # every school on its own page
    page, errors = phone
    url = base_url + "/territoires/commune/42218"
    page.goto(url, wait_until="load")
    total = int(page.inner_text("#etablissements").split("(")[1].rstrip(")"))
    counts = page.eval_on_selector_all(".ar-kinds a", "as => as.map(a => a.textContent)")
    assert total >= 2 and counts
    assert sum(int(c.split()[0]) for c in counts) == total
    seen: list[str] = []
    while True:  # all results reachable: follow « Page suivante » to the end
        seen += page.eval_on_selector_all(
            "#liste-etablissements a", "as => as.map(a => a.getAttribute('href'))"
        )
        following = page.locator(".ar-pager a.fr-pagination__link--next")
        if following.count() == 0:
            break
        with page.expect_navigation():
            following.click()
    assert len(seen) == total == len(set(seen)), seen
    page.goto(url, wait_until="load")
    with page.expect_navigation():  # a type chosen (the list announces the page update)
        page.select_option("#f-type", "ecole")
    assert "type=ecole" in page.url
    schools = httpx.get(url + ".json?type=ecole", timeout=30).json()["etablissements"]
    assert schools and all(s["type"] == "école" for s in schools)
    assert "établissement" in page.inner_text("#etablissements ~ p[aria-live]")
    assert httpx.get(url + "?type=inconnu", timeout=30).status_code == 400
    assert httpx.get(url + "?page=999", timeout=30).status_code == 400
    assert errors == []


def test_an_arrondissement_school_is_listed_by_its_commune(client: TestClient) -> None:
    twin = client.get("/territoires/commune/69123.json").json()
    assert "0690001B" in {s["uai"] for s in twin["etablissements"]}  # a school of Lyon 1er


# --- 9. the « Indicateurs » breadcrumb leads to a page ---------------------------------------


def test_indicators_breadcrumb_leads_to_the_list(
    phone: tuple[Any, list[str]], base_url: str
) -> None:
    page, errors = phone
    page.goto(base_url + "/indicateurs/ips_moyen_ecoles", wait_until="load")
    with page.expect_navigation():
        page.click(".ar-breadcrumb a:text-is('Indicateurs')")
    assert page.url == base_url + "/indicateurs"
    assert page.inner_text("h1") == "Indicateurs"
    links = page.eval_on_selector_all(".ar-theme a", "as => as.map(a => a.getAttribute('href'))")
    assert "/indicateurs/ips_moyen_ecoles" in links
    twin = httpx.get(base_url + "/indicateurs.json", timeout=30).json()
    assert sum(len(t["indicateurs"]) for t in twin["themes"]) == len(links)
    assert errors == []


# --- 7. no value here: the page says why, and where the value exists -------------------------


def test_parent_learns_why_a_commune_has_no_value_and_where_it_is(
    phone: tuple[Any, list[str]], base_url: str
) -> None:
    page, errors = phone
    url = "/territoires/commune/42001"  # no school in the fixture: no IPS for it
    page.goto(base_url + url, wait_until="load")
    twin = httpx.get(base_url + url + ".json", timeout=30).json()
    for chart in twin["charts"]:  # nothing empty is drawn
        assert any(row["valeur"] is not None for row in chart["table"]["rows"]), chart["id"]
    assert "carte" not in {c["id"] for c in twin["charts"]}  # its own map would be blank
    note = page.locator("#absence")
    assert note.is_visible()
    text = note.inner_text()
    assert text.startswith("Pas de valeur de « IPS moyen des écoles » pour Aboën en ")
    assert "aucun établissement de ce type (école) n'est rattaché à ce territoire" in text
    targets = note.locator("a")
    assert targets.count() >= 2 and "Département : Loire" in text
    with page.expect_navigation():
        note.locator("a:has-text('Département : Loire')").click()
    assert page.url.endswith("/territoires/departement/42?indicateur=ips_moyen_ecoles")
    assert page.locator("#absence").count() == 0  # the value is there
    assert errors == []


# --- 8. a meaningful default comparison; the year resets when the indicator changes ---------


def test_default_indicator_is_not_a_headcount(client: TestClient) -> None:
    from ardoise.dashboard.pages import PREFERRED
    from ardoise.dashboard.territory import default_indicator
    from ardoise.query import indicators as q

    release = client.app.state.releases.get()  # type: ignore[attr-defined]
    items = q.territory_indicators(release, "departement", "69", None).items
    unranked = [i for i in items if i.indicator.definition.id not in PREFERRED]
    sums = [i for i in unranked if i.indicator.definition.formula.aggregation == "sum"]
    others = [i for i in unranked if i not in sums and i.value.statut == "ok"]
    assert sums and others  # the fixture holds both kinds
    chosen = default_indicator([*sums, *others])  # headcounts first: still not chosen
    assert chosen is not None and chosen.indicator.definition.formula.aggregation != "sum"


def test_year_resets_when_the_indicator_changes(
    phone: tuple[Any, list[str]], base_url: str
) -> None:
    page, errors = phone
    url = "/territoires/departement/69"
    twin = httpx.get(base_url + url + ".json", timeout=30).json()
    indicators = next(f for f in twin["filtres"] if f["name"] == "indicateur")["options"]
    years = next(f for f in twin["filtres"] if f["name"] == "annee")["options"]
    first, other = indicators[0]["value"], indicators[1]["value"]
    page.goto(f"{base_url}{url}?indicateur={first}&annee={years[-1]['value']}", wait_until="load")
    with page.expect_navigation():
        page.select_option("#f-indicateur", other)
    assert f"indicateur={other}" in page.url and "annee=" not in page.url
    after = httpx.get(f"{base_url}{url}.json?indicateur={other}", timeout=30).json()
    latest = next(f for f in after["filtres"] if f["name"] == "annee")["options"][0]["value"]
    assert page.eval_on_selector("#f-annee", "s => s.value") == latest
    assert errors == []


# --- 9. the histogram draws whole bars --------------------------------------------------------


def test_histogram_draws_whole_bars(phone: tuple[Any, list[str]], base_url: str) -> None:
    page, errors = phone
    url = "/indicateurs/ips_moyen_ecoles"
    page.goto(base_url + url, wait_until="load")
    page.wait_for_selector('#graphique-distribution [data-drawn="1"]', timeout=15_000)
    rows = httpx.get(base_url + url + ".json", timeout=30).json()
    table = next(c for c in rows["charts"] if c["id"] == "distribution")["table"]["rows"]
    heights = page.eval_on_selector_all(
        "#graphique-distribution .ar-chart__view svg .role-mark path",
        "ps => ps.map(p => p.getBoundingClientRect().height)",
    )
    assert len(heights) == len(table)
    tallest = max(r["nombre"] for r in table)
    for row, height in zip(table, heights, strict=True):  # height ∝ count, from zero
        assert abs(height / max(heights) - row["nombre"] / tallest) < 0.1, (row, height)
    assert errors == []


def test_ranks_say_their_scope(phone: tuple[Any, list[str]], base_url: str) -> None:
    page, errors = phone
    for query in ("", "?niveau=departement&parent=academie:10"):
        page.goto(base_url + "/indicateurs/ips_moyen_ecoles" + query, wait_until="load")
        keys = page.get_attribute("#valeurs table", "data-keys").split(",")
        column = keys.index("rang")
        ranks = page.eval_on_selector_all(
            "#valeurs tbody tr", f"rs => rs.map(r => r.cells[{column}].textContent.trim())"
        )
        assert ranks and any(r != "—" for r in ranks)
        for rank in ranks:
            assert rank == "—" or re.fullmatch(r"\d+ sur \d+ \(.+\)", rank), rank
        header = page.inner_text(f"#valeurs thead th:nth-child({column + 1})")
        assert "1 : valeur la plus haute" in header
    assert errors == []


def test_tables_sort_by_a_column(phone: tuple[Any, list[str]], base_url: str) -> None:
    page, errors = phone
    url = "/indicateurs/ips_moyen_ecoles?niveau=departement"
    page.goto(base_url + url, wait_until="load")
    rows = httpx.get(base_url + url.replace("ecoles?", "ecoles.json?"), timeout=30).json()
    values = sorted(
        float(r["texte"].replace("\u202f", "").replace(",", "."))
        for r in rows["table"]["rows"]
        if r["texte"][:1].isdigit()
    )
    keys = page.get_attribute("#valeurs table", "data-keys").split(",")
    column = keys.index("texte")
    header = page.locator(f"#valeurs thead th:nth-child({column + 1})")
    shown = f"rs => rs.map(r => r.cells[{column}].textContent.trim())"
    for order in ("ascending", "descending"):
        header.locator("button.ar-sort").click()
        assert header.get_attribute("aria-sort") == order
        cells = page.eval_on_selector_all("#valeurs tbody tr", shown)
        numbers = [
            float(c.replace("\u202f", "").replace(",", ".")) for c in cells if c[:1].isdigit()
        ]
        assert numbers == (values if order == "ascending" else values[::-1])
    assert errors == []


def test_identical_lines_are_said(phone: tuple[Any, list[str]], base_url: str) -> None:
    page, errors = phone
    url = "/territoires/academie/14"  # Rennes: its only département, same values as Bretagne
    page.goto(base_url + url, wait_until="load")
    said = "Rennes et Bretagne ont les mêmes valeurs (lignes superposées)"
    assert said in page.inner_text("#graphique-evolution .ar-resume")
    rows = httpx.get(base_url + url + ".json", timeout=30).json()
    series = next(c for c in rows["charts"] if c["id"] == "evolution")["table"]["rows"]
    by_name: dict[str, list[Any]] = {}
    for row in series:
        by_name.setdefault(row["serie"], []).append(row["valeur"])
    assert by_name["Rennes"] == by_name["Bretagne"]  # what is said is true
    assert by_name["France"] != by_name["Rennes"] and "France et" not in said
    assert errors == []


def test_school_values_are_named(phone: tuple[Any, list[str]], base_url: str) -> None:
    page, errors = phone
    page.goto(
        base_url + "/indicateurs/ips_moyen_ecoles?niveau=etablissement&parent=academie:10",
        wait_until="load",
    )
    keys = page.get_attribute("#valeurs table", "data-keys").split(",")
    rows = page.eval_on_selector_all(
        "#valeurs tbody tr", "rs => rs.map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
    )
    named = {r[keys.index("code")]: r[keys.index("nom")] for r in rows}
    assert named.get("0690001B") == "École Jean Macé"  # a name, not its UAI
    assert errors == []
