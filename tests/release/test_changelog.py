"""The typed changelog of a release (issue #15): per changed dataset, the kind of change,
the fields added, removed and retyped, and the rows added, removed and revised on the
declared key; served as JSON and as an Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.release.changelog import release_changelog
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential

ATOM = "{http://www.w3.org/2005/Atom}"


def _publish(settings: Settings) -> str:
    result = build_release(settings, build_referential_fn=fake_referential)
    assert result.published, result.message
    return str(result.release_id)


def _edit_ips(settings: Settings) -> None:
    """One row revised (an IPS), one removed, one added, on the key (rentrée, UAI)."""
    path = settings.mirror / "ips" / "ecoles.csv"
    lines = path.read_text("utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    assert rows[0].startswith("2022-2023;035;0352778E") and rows[0].endswith(";106.2")
    rows[0] = rows[0].replace(";106.2", ";107.4")
    removed = next(r for r in rows if "0352865Z" in r)
    rows.remove(removed)
    rows.append("2023-2024;35;0352778E;ECOLE LA GUEDELAIS;35012;public;108")
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")


def test_the_first_release_adds_every_dataset(fixture_settings: Settings) -> None:
    first = _publish(fixture_settings)
    log = release_changelog(fixture_settings.releases_dir, first)
    assert log.previous_release is None and log.datasets
    assert {c.kind for c in log.datasets} == {"ajoute"}
    assert all(c.rows_before == 0 and c.rows_after > 0 and c.version == first for c in log.datasets)


def test_a_changed_dataset_is_the_only_entry_with_its_row_diff(fixture_settings: Settings) -> None:
    first = _publish(fixture_settings)
    _edit_ips(fixture_settings)
    second = _publish(fixture_settings)
    log = release_changelog(fixture_settings.releases_dir, second)
    assert log.previous_release == first
    assert [c.dataset_id for c in log.datasets] == ["test-ips-ecoles"]
    change = log.datasets[0]
    assert change.kind == "modifie" and change.version == second
    assert change.rows is not None and change.rows.key == ("rentree_scolaire", "uai")
    assert (change.rows.added, change.rows.removed, change.rows.revised) == (1, 1, 1)
    assert change.rows_after == change.rows_before
    assert change.fields_added == change.fields_removed == () and change.fields_retyped == ()


def test_json_and_atom_feed(fixture_settings: Settings) -> None:
    first = _publish(fixture_settings)
    _edit_ips(fixture_settings)
    second = _publish(fixture_settings)
    with TestClient(create_app(fixture_settings), raise_server_exceptions=False) as client:
        data = client.get(f"/api/v1/releases/{second}/changelog").json()
        assert data["previous_release"] == first
        assert data["datasets"][0]["rows"] == {
            "key": ["rentree_scolaire", "uai"],
            "added": 1,
            "removed": 1,
            "revised": 1,
        }
        missing = client.get("/api/v1/releases/20990101T000000Z-00000000/changelog")
        assert missing.status_code == 404 and "Release inconnue" in missing.json()["message"]
        bad = client.get("/api/v1/releases/..%2F..%2Fetc/changelog")
        assert bad.status_code == 404
        feed = client.get("/api/v1/changelog.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith(
        "application/atom+xml"
    )
    root = ET.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    assert (entries[0].findtext(f"{ATOM}title") or "").startswith(f"Release {second} : 1 jeu")
    text = entries[0].findtext(f"{ATOM}content") or ""
    assert "test-ips-ecoles" in text and "1 ajoutée(s), 1 retirée(s), 1 révisée(s)" in text
    assert len(entries) == 2
