"""Issue #13 over a release of the real mirror: the compatibility replay's realistic calls
(``bench/compat_calls.jsonl``), class by class, each with what the program reads; and the
JSON type of every field of every dataset equals the type its metadata declares."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from ardoise.settings import Settings
from ardoise.web.app import create_app

pytestmark = pytest.mark.mirror

ROOT = Path(__file__).resolve().parents[2]
V21 = "/api/explore/v2.1/catalog/datasets"


def _replay_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compat_replay", ROOT / "bench" / "compat_replay.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REPLAY = _replay_module()
CALLS: list[dict[str, Any]] = REPLAY.load_calls()
CLASSES = sorted({c["class"] for c in CALLS})


@pytest.fixture(scope="module")
def real_client(real_settings: Settings) -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    with TestClient(create_app(real_settings), raise_server_exceptions=False) as c:
        yield c  # type: ignore[misc]


@pytest.fixture(scope="module")
def replay(real_client: httpx.Client, real_settings: Settings) -> Any:
    return REPLAY.Replay(real_client, real_settings.var_dir)


def test_the_replay_has_enough_calls_of_every_class(replay: Any) -> None:
    assert len(CALLS) >= 80
    expanded = replay.expand(CALLS)
    assert len(expanded) >= 150
    assert {c["class"] for c in expanded} == set(CLASSES)
    # every dataset of the release is called
    assert {c["dataset"] for c in expanded if "dataset" in c} == set(replay.datasets)


@pytest.mark.parametrize("klass", CLASSES)
def test_every_realistic_call_of_the_class_gets_what_the_program_reads(
    replay: Any, klass: str
) -> None:
    calls = replay.expand([c for c in CALLS if c["class"] == klass])
    failures = {c["url"]: why for c in calls if (why := replay.run(c))}
    assert not failures, failures


def test_json_type_of_every_field_equals_its_declared_type(
    real_client: httpx.Client, replay: Any
) -> None:
    checked = 0
    for ds in replay.datasets:
        fields = real_client.get(f"{V21}/{ds}").json()["fields"]
        declared = {f["name"]: f["type"] for f in fields}
        seen: set[str] = set()
        for offset in (0, 100, 1000):
            body = real_client.get(f"{V21}/{ds}/records", params={"limit": 100, "offset": offset})
            for row in body.json()["results"]:
                assert set(row) == set(declared), ds
                for name, value in row.items():
                    if value is None:
                        continue
                    kinds = REPLAY.JSON_TYPES[declared[name]]
                    assert isinstance(value, kinds) and not isinstance(value, bool), (
                        ds, name, declared[name], value)  # fmt: skip
                    seen.add(name)
        checked += len(seen)
    assert checked > 500  # most fields of most datasets hold a value in the rows read


def test_annuaire_types_are_the_portals(real_client: httpx.Client) -> None:
    fields = {
        f["name"]: f["type"]
        for f in real_client.get(f"{V21}/fr-en-annuaire-education").json()["fields"]
    }
    assert fields["code_nature"] == "int"
    assert fields["voie_generale"] == fields["voie_professionnelle"] == "text"
    rows = real_client.get(
        f"{V21}/fr-en-annuaire-education/records",
        params={"where": 'code_nature = 306 and voie_generale = "1"', "limit": 5},
    ).json()["results"]
    assert rows and all(r["code_nature"] == 306 and r["voie_generale"] == "1" for r in rows)
