"""Issue #20, end to end: the path of each of the five users (a parent on a phone, a lycée
head, a journalist, a local-authority officer, a researcher), walked in one browser at
390×844 with touch, on a server on a free (non-default) port. Each test takes the steps the
issue names for its user and asserts that what stopped them now works; the finer checks of
each point are in ``test_users.py``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow

DRAWN = (
    "Array.from(document.querySelectorAll('[data-spec]'))"
    ".every(e => e.getAttribute('data-drawn') === '1')"
)
TOOLTIP = """() => { const t = document.getElementById('vg-tooltip-element');
  return t && t.classList.contains('visible') ? t.innerText : null; }"""
UNACCENTED = re.compile(
    r"\b(Academie|Departement|Annee|Etablissement|eleves?|reussite|Presents|ajoutee|Region)\b"
)


def _text(page: Any) -> str:
    """All the text of ``main``, folded parts (« Voir les lignes ») included, scripts not."""
    return str(
        page.evaluate(
            """() => { const m = document.querySelector('main').cloneNode(true);
            m.querySelectorAll('script').forEach(s => s.remove()); return m.textContent; }"""
        )
    )


def _open(page: Any, url: str) -> None:
    page.goto(url, wait_until="load")
    if page.locator("[data-spec]").count():
        page.wait_for_function(DRAWN, timeout=15_000)


def _fits(page: Any) -> None:
    """Point 4: nothing wider than the phone; the key figures show every column."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    figures = page.locator("#comparaisons table")
    if figures.count():
        box = page.locator("#comparaisons .fr-table__container").bounding_box()
        assert figures.bounding_box()["width"] <= box["width"] + 1
        assert page.locator("#comparaisons tbody tr td:last-child").first.is_visible()


def _named_charts(page: Any) -> None:
    """Point 6: every chart keeps its French accessible name once drawn."""
    for role, name in page.eval_on_selector_all(
        "[data-spec]", "es => es.map(e => [e.getAttribute('role'), e.getAttribute('aria-label')])"
    ):
        assert role == "img" and name and "Vega" not in name, name


def _tap(page: Any, locator: Any) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_parent_on_a_phone(phone: tuple[Any, list[str]], base_url: str) -> None:
    """Searches their commune, reads its figures, taps the map, finds its schools, and on a
    commune without data learns why and where the value is."""
    page, errors = phone
    _open(page, base_url + "/")
    page.fill("#q", "Saint-Étienne")
    with page.expect_navigation():
        page.press("#q", "Enter")
    with page.expect_navigation():
        page.click("main a[href='/territoires/commune/42218']")
    page.wait_for_function(DRAWN, timeout=15_000)
    _fits(page)
    _named_charts(page)
    shape = page.locator("#graphique-carte svg .role-mark path").first
    _tap(page, shape)  # point 9: a tap shows the map's tooltip (no hover on a phone)
    page.wait_for_function(f"({TOOLTIP})() !== null", timeout=5_000)
    tip = page.evaluate(TOOLTIP)
    assert "Saint-Étienne" in tip and "IPS moyen des écoles, " in tip, tip
    listed = page.eval_on_selector_all("#liste-etablissements a", "as => as.map(a => a.href)")
    assert base_url + "/etablissements/0420001Y" in listed  # point 3: its schools are listed
    _open(page, base_url + "/territoires/commune/42001")  # point 7: no school, no value
    assert page.locator("[data-spec]").count() == 0 or page.evaluate(DRAWN)
    note = page.inner_text("#absence")
    assert "aucun établissement de ce type (école)" in note and "Département : Loire" in note
    assert errors == []


def test_lycee_head(phone: tuple[Any, list[str]], base_url: str) -> None:
    """Opens their lycée: bac results and value added, not a headcount; changes indicator
    and the year follows the new one's latest year for the lycée."""
    page, errors = phone
    url = base_url + "/etablissements/0690026D"
    _open(page, url)
    _fits(page)
    _named_charts(page)
    chosen = page.eval_on_selector("#f-indicateur", "s => s.value")
    assert chosen == "taux_reussite_bac_lycee"  # point 8: the bac rate by default
    figures = page.inner_text("#comparaisons")
    assert "Taux de réussite au baccalauréat général et technologique du lycée" in figures
    assert "96\u202f%" in figures  # the 2022 session (school year 2021-2022) of the sample
    assert "Valeur ajoutée du lycée au baccalauréat" in figures
    assert "1\u202fpoint" in figures and "1\u202fpoints" not in figures  # agreed
    assert page.eval_on_selector("#f-annee", "s => s.value") == "2021-2022"
    with page.expect_navigation():  # vocational: sessions 2020 and 2021 only
        page.select_option("#f-indicateur", "taux_reussite_bac_pro_lycee")
    page.wait_for_function(DRAWN, timeout=15_000)
    assert page.eval_on_selector("#f-annee", "s => s.value") == "2020-2021"
    assert "indicateur=taux_reussite_bac_pro_lycee" in page.url and "annee=" not in page.url
    # without JavaScript the old year is sent too: it resets all the same
    twin = httpx.get(
        url + ".json?indicateur=taux_reussite_bac_pro_lycee&annee=2021-2022", timeout=30
    ).json()
    years = next(f for f in twin["filtres"] if f["name"] == "annee")["options"]
    assert next(o["value"] for o in years if o["selected"]) == "2020-2021"
    assert all(any(r["valeur"] is not None for r in c["table"]["rows"]) for c in twin["charts"])
    body = _text(page)
    assert "Taux de réussite - Toutes séries" in body  # point 10: the source's label accented
    assert UNACCENTED.search(body) is None, UNACCENTED.search(body)
    with page.expect_navigation():  # the indicator's page opens where lycées have a value
        page.click("#comparaisons a[href='/indicateurs/taux_reussite_bac_lycee']")
    page.wait_for_function(DRAWN, timeout=15_000)
    assert "Académie de Lyon" in page.inner_text("#f-parent option:checked")
    assert "Lycée Ampère" in _text(page) and "Répartition" in page.inner_text("main")
    assert errors == []


def test_journalist(phone: tuple[Any, list[str]], base_url: str) -> None:
    """Takes a chart of a département: cites it and downloads it with its source."""
    page, errors = phone
    url = "/territoires/departement/69"
    _open(page, base_url + url)
    _fits(page)
    twin = httpx.get(base_url + url + ".json", timeout=30).json()
    release = twin["page"]["release"]
    chart = twin["charts"][0]
    figure = page.locator(f"#graphique-{chart['id']}")
    figure.locator(".ar-cite summary").click()
    cited = figure.locator(".ar-citation").inner_text()  # point 5: a ready-to-paste citation
    assert f"version {release} du " in cited and cited.endswith(base_url + url)
    with page.expect_download() as download:
        figure.locator(f'a[href="{chart["telechargements"]["png"]}"]').click()
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = httpx.get(base_url + chart["telechargements"]["svg"], timeout=60).text
    assert f"Ardoise, version {release} du " in svg and "Source : " in svg
    sidecar = httpx.get(base_url + chart["telechargements"]["txt"], timeout=30).text
    assert cited in sidecar and f"Version des données : {release} du " in sidecar
    text = page.inner_text("body")  # point 10: « version », never « release »
    assert re.search(r"\brelease", text, re.IGNORECASE) is None
    assert errors == []


def test_local_authority_officer(phone: tuple[Any, list[str]], base_url: str) -> None:
    """Lists the schools of the département's main town by type, opens one from the map,
    and sorts the indicator's table of territories."""
    page, errors = phone
    _open(page, base_url + "/territoires/commune/69123")
    _fits(page)
    total = int(page.inner_text("#etablissements").split("(")[1].rstrip(")"))
    counts = page.eval_on_selector_all(".ar-kinds a", "as => as.map(a => a.textContent)")
    assert sum(int(c.split()[0]) for c in counts) == total >= 3  # point 3: counted by type
    with page.expect_navigation():
        page.select_option("#f-type", "lycee")
    listed = page.eval_on_selector_all(
        "#liste-etablissements a", "as => as.map(a => a.getAttribute('href'))"
    )
    assert listed == ["/etablissements/0690026D"]
    _open(page, base_url + "/territoires/departement/69")
    point = page.locator("#graphique-carte svg .role-mark path[aria-label*='Lycée Ampère']")
    with page.expect_navigation():  # point 9: a school's point on the map opens its page
        _tap(page, point)
    assert page.url == base_url + "/etablissements/0690026D"
    _open(page, base_url + "/indicateurs/ips_moyen_ecoles?niveau=departement")
    keys = page.get_attribute("#valeurs table", "data-keys").split(",")
    header = page.locator(f"#valeurs thead th:nth-child({keys.index('nom') + 1})")
    header.locator("button.ar-sort").click()  # point 9: sortable tables
    assert header.get_attribute("aria-sort") == "ascending"
    assert page.evaluate("document.querySelectorAll('main button, main select').length") > 0
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll('main a[href], main button, main select'))
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 24).length"""
    )
    assert small == 0  # point 6: tap targets of 24 px at least
    assert errors == []


def test_researcher(phone: tuple[Any, list[str]], base_url: str) -> None:
    """Reads a dataset page on a non-default port, follows a download link and an API
    example as served, and opens the API documentation with no network outside."""
    page, errors = phone
    assert not base_url.endswith(":8000")
    dataset = "fr-en-indicateurs-de-resultat-des-lycees-denseignement-general-et-technologique"
    _open(page, f"{base_url}/donnees/{dataset}")
    _fits(page)
    hrefs = page.eval_on_selector_all(".ar-downloads a", "as => as.map(a => a.href)")
    assert hrefs and all(h.startswith(base_url + "/api/") for h in hrefs)  # point 1
    assert httpx.get(hrefs[0], timeout=30).status_code == 200
    example = page.eval_on_selector("pre.ar-code code", "c => c.textContent")
    api = re.search(r"https?://\S+", example)
    assert api and api.group(0).startswith(base_url + "/api/")
    assert httpx.get(api.group(0).rstrip("'\""), timeout=30).status_code == 200
    body = _text(page)  # point 10: the portal's labels shown accented
    assert "Taux de réussite - Toutes séries" in body and "Année" in body
    assert UNACCENTED.search(body) is None, UNACCENTED.search(body)
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)  # point 2: the API documentation renders offline
    page.goto(base_url + "/api/docs", wait_until="load")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert outside == []
    assert errors == []
