"""Codebooks (issue #18): one function computes a dataset's codebook; the API gives it as
JSON and Markdown, the dashboard as a page; coded missing values are counted per year."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from starlette.testclient import TestClient

from ardoise.settings import Settings


def _marked(settings: Settings) -> tuple[str, str, dict[tuple[str, str], int]]:
    """A dataset of the sample release with coded missing values, a field, its counts."""
    data = settings.var_dir / "current" / "data"
    for path in sorted(data.glob("*.parquet")):
        table = pq.read_table(path)
        if "_etats" not in table.column_names:
            continue
        counts: dict[tuple[str, str], int] = {}
        for row in table.select(["_annee_scolaire", "_etats"]).to_pylist():
            for field in json.loads(row["_etats"] or "{}"):
                key = (field, row["_annee_scolaire"] or "")
                counts[key] = counts.get(key, 0) + 1
        if counts:
            field = sorted(counts)[0][0]
            return path.stem, field, {k: v for k, v in counts.items() if k[0] == field}
    raise AssertionError("the sample release has no coded missing value")


def test_json_codebook_counts_coded_missing_values_per_year(
    client: TestClient, dash_settings: Settings
) -> None:
    ds_id, field, expected = _marked(dash_settings)
    book = client.get(f"/api/v1/codebooks/{ds_id}.json").json()
    assert book["dataset_id"] == ds_id and book["rows"] > 0
    f = next(f for f in book["fields"] if f["name"] == field)
    marked = {(field, y): n for y, reason, n in f["missing"] if reason != "absent"}
    assert marked == expected
    assert all(f["type"] and f["label"] for f in book["fields"])
    low = [f for f in book["fields"] if f["domain"]]
    assert low and all(len(f["domain"]) <= 30 for f in low)


def test_markdown_and_page_render_the_same_codebook(
    client: TestClient, dash_settings: Settings
) -> None:
    ds_id, field, _ = _marked(dash_settings)
    md = client.get(f"/api/v1/codebooks/{ds_id}.md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Dictionnaire des données") and f"`{field}`" in md.text
    page = client.get(f"/donnees/{ds_id}/dictionnaire")
    assert (
        page.status_code == 200 and "Valeurs manquantes codées" in page.text and field in page.text
    )
    assert f"/donnees/{ds_id}/dictionnaire" in client.get(f"/donnees/{ds_id}").text


def test_unknown_codebook_is_a_clear_404(client: TestClient) -> None:
    for path in ("/api/v1/codebooks/inconnu.json", "/api/v1/codebooks/x.txt"):
        got = client.get(path)
        assert got.status_code == 404 and got.json()["message"]
    assert client.get("/donnees/inconnu/dictionnaire").status_code == 404
