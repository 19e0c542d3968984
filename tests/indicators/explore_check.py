"""Fetch the Explore API query a value carries and check it gives the same figure."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

_CHECK = re.compile(r"vérification depuis le jeu : (\S+) ")


def reproduce(client: TestClient, formula: dict[str, Any], value: dict[str, Any]) -> None:
    """Assert that ``value["provenance"]["requete"]`` answers exactly ``value`` (and its
    base) in one row; for a share of a subset or a ratio whose empty cells are 0 (the
    indicator API's URL), that the Explore query of its reading gives it too."""
    url = value["provenance"]["requete"]
    subset = (formula.get("numerateur") or {}).get("subset")
    blank_is_zero = formula.get("case_vide_zero", False)
    if subset or blank_is_zero:
        assert url and url.startswith("/api/v1/indicateurs/"), value
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text)
        (cited,) = answer.json()["valeurs"]
        assert (cited["valeur"], cited["base"], cited["statut"]) == (
            value["valeur"],
            value["base"],
            value["statut"],
        ), (url, cited, value)
        found = _CHECK.search(value["provenance"]["lecture"])
        assert found, value
        url = found.group(1)
    assert url and url.startswith("/api/explore/v2.1/catalog/datasets/"), value
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.text)
    results = answer.json()["results"]
    kind = formula["agregation"]
    if blank_is_zero:  # one sum per field (``somme_1``…), an empty sum being 0
        (row,) = results
        fields = list(
            dict.fromkeys(formula["numerateur"]["fields"] + formula["denominateur"]["fields"])
        )
        sums = {f: row[f"somme_{i}"] or 0 for i, f in enumerate(fields, 1)}
        num = sum(sums[f] for f in formula["numerateur"]["fields"])
        den = sum(sums[f] for f in formula["denominateur"]["fields"])
        got, base = formula["facteur"] * num / den if den else None, round(den)
    elif subset:
        ((field, kept),) = subset.items()
        den = sum(r["denominateur"] for r in results)
        num = sum(r["denominateur"] for r in results if r[field] in kept)
        got, base = formula["facteur"] * num / den, round(den)
    else:
        assert len(results) == 1, (url, results)
        row = results[0]
        got = row["valeur"]
        base = {
            "sum": row.get("base", row["valeur"]),
            "mean": row.get("base"),
            "weighted_mean": row.get("base"),
            "reference": row.get("base"),
            "ratio_of_sums": row.get("denominateur"),
        }[kind]
        base = round(base) if base is not None else None
    assert base == value["base"], (url, results, value)
    if value["statut"] == "ok":
        assert got == pytest.approx(value["valeur"], rel=1e-12, abs=1e-9), (url, results, value)
