"""The MCP server answers from the release being served: after a publish its figures and
citations are the new release's, after a rollback the old one's again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ardoise.mcp import build_server
from ardoise.release.build import build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings, load_settings
from tests.indicators import sample
from tests.indicators.sample import build_full_referential as referential
from tests.mcp.conftest import ROOT, call

ARGS = {
    "indicator_id": "ips_moyen_ecoles",
    "territory": "departement:42",
    "school_year": "2022-2023",
}


def _figure(server: object) -> tuple[float, int, str]:
    return _figure_of(server, ARGS)


def _figure_of(server: object, args: dict[str, str]) -> tuple[float, int, str]:
    result = call(server, "get_indicator", args)
    assert not result.is_error, result.content
    value = (result.structured_content or {})["valeur"]
    return value["valeur"], value["base"], value["citation"]["release"]


def _settings(tmp_path: Path) -> Settings:
    return load_settings(
        environ={},
        mirror=sample.write_mirror(tmp_path / "mirror"),
        catalog_dir=sample.write_catalog(tmp_path / "catalog"),
        var_dir=tmp_path / "var",
        node_modules=ROOT / "node_modules",
    )


def test_tools_follow_publish_and_rollback(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    mirror = settings.mirror
    first = build_release(settings, build_referential_fn=referential)
    assert first.published, first.message
    server = build_server(settings)  # one server for the whole test, as when served
    loire = [float(r[6]) for r in sample.ECOLES if r[0] == "2022-2023" and r[2] == "42"]
    assert _figure(server) == (pytest.approx(sum(loire) / len(loire)), len(loire), first.release_id)

    ecoles = mirror / "ind" / "ecoles.csv"  # a new école of the Loire, IPS 120
    ecoles.write_text(
        ecoles.read_text("utf-8") + "2022-2023;10;42;42218;0420002Z;public;120;105.4;107.0;98.0\n",
        encoding="utf-8",
    )
    second = build_release(settings, build_referential_fn=referential)
    assert second.published and second.release_id != first.release_id, second.message
    more = [*loire, 120.0]
    assert _figure(server) == (pytest.approx(sum(more) / len(more)), len(more), second.release_id)

    store = ReleaseStore(settings.var_dir)
    with store.lock():
        store.switch(str(first.release_id))
    assert _figure(server) == (pytest.approx(sum(loire) / len(loire)), len(loire), first.release_id)


def test_tools_answer_from_an_older_release_when_asked(tmp_path: Path) -> None:
    """``release=`` and ``date=`` on every tool (issue #18), as on the HTTP API: the figure
    and its citation are those of the release named; an unknown one is a clear tool error."""
    settings = _settings(tmp_path)
    mirror = settings.mirror
    first = build_release(settings, build_referential_fn=referential)
    ecoles = mirror / "ind" / "ecoles.csv"
    ecoles.write_text(
        ecoles.read_text("utf-8") + "2022-2023;10;42;42218;0420002Z;public;120;105.4;107.0;98.0\n",
        encoding="utf-8",
    )
    second = build_release(settings, build_referential_fn=referential)
    assert first.published and second.published and first.release_id != second.release_id
    server = build_server(settings)
    loire = [float(r[6]) for r in sample.ECOLES if r[0] == "2022-2023" and r[2] == "42"]

    def figure(**extra: str) -> tuple[float, int, str]:
        return _figure_of(server, {**ARGS, **extra})

    assert figure()[2] == second.release_id
    old = figure(release=str(first.release_id))
    assert old == (pytest.approx(sum(loire) / len(loire)), len(loire), first.release_id)
    assert figure(date=datetime.now(UTC).date().isoformat())[2] == second.release_id
    listed = call(server, "list_indicators", {"release": str(first.release_id)})
    assert not listed.is_error and str(first.release_id) in str(listed.structured_content)
    for bad in ({"release": "20000101T000000Z-inconnue"}, {"date": "1999-01-01"}, {"date": "hier"}):
        refused = call(server, "get_indicator", {**ARGS, **bad})
        assert refused.is_error, bad
        text = str(refused.content)
        assert "Release inconnue" in text or "Aucune release" in text or "Date invalide" in text
