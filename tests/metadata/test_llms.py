"""/llms.txt (llmstxt.org structure, every link answers 200), /llms-full.txt, and the .md
twins of the dataset, indicator and territory pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ardoise.settings import Settings

LINK = re.compile(r"\[([^\]]+)\]\((http[^)\s]+)\)")
BASE = "http://testserver"


@pytest.fixture(scope="module")
def llms(client: Any) -> str:
    response = client.get("/llms.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text: str = response.text
    return text


@pytest.fixture(scope="module")
def catalog(client: Any) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = client.get(
        "/api/explore/v2.1/catalog/datasets?limit=100"
    ).json()["results"]
    return results


def test_llms_txt_structure(llms: str) -> None:
    lines = llms.splitlines()
    assert lines[0].startswith("# ") and not lines[0].startswith("## ")
    assert sum(1 for line in lines if line.startswith("# ")) == 1
    first_h2 = next(i for i, line in enumerate(lines) if line.startswith("## "))
    assert any(line.startswith("> ") for line in lines[1:first_h2])  # blockquote summary
    h2 = [line[3:] for line in lines if line.startswith("## ")]
    assert h2[:4] == ["Jeux de données", "Indicateurs", "Territoires", "API et métadonnées"]
    assert h2[-1] == "Optional"
    # inside sections, every list item is "- [title](url)" optionally followed by ": note"
    for line in lines[first_h2:]:
        if line.startswith("- "):
            assert re.match(r"^- \[[^\]]+\]\(http[^)\s]+\)(: .+)?$", line), line


def test_llms_txt_lists_every_dataset_and_indicator(
    client: Any, llms: str, catalog: list[dict[str, Any]]
) -> None:
    links = {url for _, url in LINK.findall(llms)}
    for d in catalog:
        assert f"{BASE}/donnees/{d['dataset_id']}.md" in links
    for i in client.get("/api/v1/indicateurs").json()["indicateurs"]:
        assert f"{BASE}/indicateurs/{i['id']}.md" in links
    assert f"{BASE}/territoires/france/FR.md" in links
    ips = [u for u in links if "/fr-en-ips-ecoles-ap2022/records?" in u]
    assert len(ips) == 1 and "territoire=departement:69" in ips[0]
    years = client.get(ips[0].removeprefix(BASE)).json()["results"]
    assert years and all(r["n"] > 0 and r["ips_moyen"] is not None for r in years)


def test_every_link_of_llms_txt_answers(client: Any, llms: str) -> None:
    urls = sorted({url for _, url in LINK.findall(llms)})
    assert len(urls) > 10
    for url in urls:
        assert url.startswith(BASE + "/"), url
        response = client.get(url.removeprefix(BASE))
        assert response.status_code == 200, (url, response.text[:300])


def test_llms_full_inlines_every_page(client: Any, catalog: list[dict[str, Any]]) -> None:
    full = client.get("/llms-full.txt").text
    indicators = client.get("/api/v1/indicateurs").json()["indicateurs"]
    assert full.count("\n## Champs\n") == len(catalog)
    assert full.count("\n## Formule\n") == len(indicators)
    for d in catalog:
        page = client.get(f"/donnees/{d['dataset_id']}.md").text
        assert page in full


def test_dataset_twin_says_what_the_api_says(client: Any, catalog: list[dict[str, Any]]) -> None:
    for d in catalog:
        response = client.get(f"/donnees/{d['dataset_id']}.md")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/markdown")
        page = response.text
        assert page.startswith(f"# {d['metas']['default']['title']}\n")
        assert f"- Enregistrements : {d['metas']['default']['records_count']}\n" in page
        for f in d["fields"]:
            assert f"| `{f['name']}` |" in page
        local = [url for _, url in LINK.findall(page) if url.startswith(BASE)]
        assert len(local) >= 5  # downloads
        for url in local:
            assert client.get(url.removeprefix(BASE)).status_code == 200, url
        for url in re.findall(r" : (http://testserver/api/\S+)$", page, flags=re.M):
            assert client.get(url.removeprefix(BASE)).status_code == 200, url


def test_indicator_twin_cites_the_national_values(client: Any) -> None:
    france = client.get("/api/v1/territoires/france/FR/indicateurs").json()["indicateurs"]
    cited = [i for i in france if i["statut"] == "ok"]
    assert cited
    for item in cited:
        page = client.get(f"/indicateurs/{item['id']}.md").text
        assert "## France entière" in page
        assert f"France, {item['annee_scolaire']} : " in page
        assert f", base {item['base']} — vérifier : " in page
        urls = re.findall(r"vérifier : (\S+)", page)
        assert urls
        for url in urls:
            assert client.get(url.removeprefix(BASE)).status_code == 200, url


def test_territory_twin(client: Any, llms: str) -> None:
    api = client.get("/api/v1/territoires/france/FR/indicateurs").json()["indicateurs"]
    page = client.get("/territoires/france/FR.md")
    assert page.status_code == 200 and page.text.startswith("# ")
    assert "`france:FR`" in page.text
    for item in api:
        assert f"/indicateurs/{item['id']}.md)" in page.text
    first = re.search(r"\((http://testserver/territoires/academie/[^)]+)\)", llms)
    assert first is not None
    academie = client.get(first[1].removeprefix(BASE)).text
    assert "[France](http://testserver/territoires/france/FR.md)" in academie


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/donnees/jeu-inconnu.md", 404),
        ("/indicateurs/indicateur-inconnu.md", 404),
        ("/territoires/departement/999.md", 404),
        ("/territoires/planete/X.md", 400),
    ],
)
def test_unknown_pages_are_clean_errors(client: Any, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert set(response.json()) >= {"error_code", "message"}


def test_md_routes_win_over_the_page_routes(client: Any, catalog: list[dict[str, Any]]) -> None:
    """The dashboard serves /donnees/{id} and friends; the .md twins must still be ours."""
    indicator = client.get("/api/v1/indicateurs").json()["indicateurs"][0]["id"]
    dataset = catalog[0]["dataset_id"]
    for path in (f"/donnees/{dataset}", f"/indicateurs/{indicator}", "/territoires/france/FR"):
        twin = client.get(path + ".md")
        assert twin.headers["content-type"].startswith("text/markdown"), path
        page = client.get(path)
        assert not page.headers["content-type"].startswith("text/markdown"), path


def test_release_memo_computes_once_per_release_and_stays_bounded(
    meta_settings: Settings,
) -> None:
    """The documents of a release (llms.txt, .md, DCAT): once per key, at most
    ``document_cache_entries`` of them, computed again for another release."""
    from types import SimpleNamespace

    from ardoise.api.documents import document
    from ardoise.query.release import ServedRelease

    settings = meta_settings.replace(document_cache_entries=2)
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(settings=settings)))
    r1 = ServedRelease(settings.current_link.resolve(), settings)
    r2 = ServedRelease(settings.current_link.resolve(), settings)  # another release object
    calls: list[str] = []

    def compute(tag: str) -> tuple[bytes, str]:
        calls.append(tag)
        return str(len(calls)).encode(), "text/plain"

    def get(release: ServedRelease, tag: str) -> int:
        return int(document(request, release, tag, lambda: compute(tag))[0])

    assert get(r1, "a") == 1
    assert get(r1, "a") == 1  # memoised
    get(r1, "b")
    get(r1, "c")  # drops "a", the oldest
    assert get(r1, "a") == 4
    assert get(r2, "a") == 5  # another release: recomputed
    assert calls == ["a", "b", "c", "a", "a"]
    r1.close()
    r2.close()
