"""``ardoise-usages`` as an open dataset (issue #17): every release carries the complete days
of the usage counters, ingested like any other dataset and served by the Explore API, the
exports, the catalogue and DCAT; today, still counted, is never in it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Secret, Settings
from ardoise.usage.dataset import DATASET_ID
from ardoise.usage.store import Batch, Key, configured_store
from ardoise.web.app import create_app
from tests.fixtures import fake_referential

E = "/api/explore/v2.1/catalog"
TODAY = datetime.now(UTC).date()
D1, D2 = (TODAY - timedelta(days=2)).isoformat(), (TODAY - timedelta(days=1)).isoformat()


@pytest.fixture(autouse=True)
def _today() -> None:
    """The days of each test, from its own start: a suite that runs across midnight (UTC)
    would otherwise count « today » as a complete day."""
    global TODAY, D1, D2
    TODAY = datetime.now(UTC).date()
    D1, D2 = (TODAY - timedelta(days=2)).isoformat(), (TODAY - timedelta(days=1)).isoformat()


def _count(settings: Settings, day: str, dataset: str, surface: str, calls: int) -> None:
    store = configured_store(settings)
    store.add(Batch({Key(day, dataset, surface, "", "phone"): (calls, calls * 100)}))


def _build(settings: Settings, only: list[str] | None = None) -> object:
    return build_release(settings, only, build_referential_fn=fake_referential)


def test_a_release_without_counts_has_no_usage_dataset(fixture_settings: Settings) -> None:
    assert _build(fixture_settings).published  # type: ignore[attr-defined]
    store = ReleaseStore(fixture_settings.var_dir)
    assert DATASET_ID not in store.manifest(store.current_id() or "").datasets
    assert not (fixture_settings.var_dir / "usage.sqlite").exists()  # not created by ingest
    # the daily publication before any complete day: nothing to publish, not an error
    daily = _build(fixture_settings, [DATASET_ID])
    assert not daily.published and daily.ok  # type: ignore[attr-defined]


def test_complete_days_are_published_and_served_like_any_dataset(
    fixture_settings: Settings,
) -> None:
    settings = fixture_settings
    _count(settings, D1, "test-ips-ecoles", "records", 5)
    _count(settings, D2, "test-ips-ecoles", "export", 2)
    _count(settings, D2, "", "catalogue", 7)
    _count(settings, TODAY.isoformat(), "test-ips-ecoles", "records", 1000)  # still counted
    first = _build(settings)
    assert first.published  # type: ignore[attr-defined]
    store = ReleaseStore(settings.var_dir)
    manifest = store.manifest(store.current_id() or "")
    entry = manifest.datasets[DATASET_ID]
    assert entry.status == "publie" and entry.rows == 3 and entry.parquet is not None
    assert DATASET_ID in manifest.descriptors_sha256
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        records = client.get(
            f"{E}/datasets/{DATASET_ID}/records",
            params={"select": "jour, sum(appels) as n", "group_by": "jour", "order_by": "jour"},
        )
        export = client.get(f"{E}/datasets/{DATASET_ID}/exports/csv")
        meta = client.get(f"{E}/datasets/{DATASET_ID}")
        catalog = client.get(f"{E}/datasets", params={"limit": 100})
        dcat = client.get(f"{E}/exports/dcat")
        page = client.get(f"/donnees/{DATASET_ID}")
    assert records.status_code == 200, records.text
    assert [(r["jour"], r["n"]) for r in records.json()["results"]] == [(D1, 5), (D2, 9)]
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert {(r["jour"], r["jeu"], r["surface"], r["appels"]) for r in rows} == {
        (D1, "test-ips-ecoles", "records", "5"),
        (D2, "test-ips-ecoles", "export", "2"),
        (D2, "", "catalogue", "7"),
    }
    assert meta.status_code == 200 and "quotidienne" in json.dumps(meta.json())
    assert DATASET_ID in {d["dataset_id"] for d in catalog.json()["results"]}
    assert dcat.status_code == 200 and DATASET_ID in dcat.text
    assert page.status_code == 200 and "Usages de la plateforme" in page.text


def test_each_day_is_a_new_release_and_other_ingests_carry_it_over(
    fixture_settings: Settings,
) -> None:
    settings = fixture_settings
    _count(settings, D1, "test-ips-ecoles", "records", 5)
    assert _build(settings).published  # type: ignore[attr-defined]
    store = ReleaseStore(settings.var_dir)
    first = store.current_id()
    # nothing new counted: the same fingerprint, nothing published
    assert not _build(settings, [DATASET_ID]).published  # type: ignore[attr-defined]
    # another dataset's ingest carries the usage dataset over as it was
    _count(settings, D2, "test-ips-ecoles", "records", 3)
    again = _build(settings, ["test-ips-ecoles"])
    outcome = {o.id: o for o in again.outcomes}[DATASET_ID]  # type: ignore[attr-defined]
    assert outcome.status == "inchange" and outcome.rows == 1
    # the daily publication: one more release, with the new day
    daily = _build(settings, [DATASET_ID])
    assert daily.published  # type: ignore[attr-defined]
    manifest = store.manifest(store.current_id() or "")
    assert manifest.datasets[DATASET_ID].rows == 2 and manifest.previous_release == first
    assert manifest.datasets["test-ips-ecoles"].status == "inchange"


def test_counters_out_of_reach_never_stop_an_ingest(fixture_settings: Settings) -> None:
    _count(fixture_settings, D1, "test-ips-ecoles", "records", 5)
    assert _build(fixture_settings).published  # type: ignore[attr-defined]
    down = fixture_settings.replace(
        usage_database_url=Secret("postgresql://postgres@127.0.0.1:1/absent")
    )
    (fixture_settings.catalog_dir / "test-ips-ecoles.yaml").write_text(
        (fixture_settings.catalog_dir / "test-ips-ecoles.yaml").read_text() + "\n# v2\n"
    )
    again = _build(down)
    assert again.published and again.ok  # type: ignore[attr-defined]
    outcome = {o.id: o for o in again.outcomes}[DATASET_ID]  # type: ignore[attr-defined]
    assert outcome.status == "inchange" and outcome.rows == 1  # the previous version kept
