"""The public register of habilitations as an open dataset (issue #16): ``ardoise ingest``
publishes ``ardoise-habilitations`` like ``ardoise-usages`` (a service dataset), served by
the Explore API, the exports, the catalogue and DCAT; never a contact nor a DPO; a state
change is carried by the next publication."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from starlette.testclient import TestClient

from ardoise.controlplane import habilitations as hab
from ardoise.controlplane import register
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.habilitations import Event
from ardoise.controlplane.instruction import Instruction
from ardoise.release.build import build_release
from ardoise.release.store import ReleaseStore
from ardoise.scolarite import scopes
from ardoise.scolarite.database import make_engine as registry_engine
from ardoise.scolarite.database import migrate as migrate_registry
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.controlplane.habilitation_world import DPO, PARTNER, TECH, World, request, seed
from tests.fixtures import fake_referential

E = "/api/explore/v2.1/catalog"
DS = register.DATASET_ID


def _granted(world: World, flow: Instruction, finalite: str) -> str:
    with world.engine.begin() as conn:
        partner = world.principal(conn, "partenaire")
        created = hab.create(conn, partner, PARTNER, request(finalite=finalite))
        instructor = world.principal(conn, "instructeur")
    flow.submit(partner, created.id)
    flow.grant(instructor, created.id, [scopes.SCOLARITE], datetime.now(UTC) + timedelta(400))
    return created.id


def _build(settings: Settings, engine: Engine, only: list[str] | None = None) -> object:
    return build_release(
        settings, only, build_referential_fn=fake_referential,
        services=[register.service_source(engine)],
    )  # fmt: skip


def test_the_register_is_published_and_served_like_any_dataset(
    fixture_settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cp.db'}")
    migrate(engine)
    world = seed(engine)
    reg = registry_engine(f"sqlite:///{tmp_path / 'scolarite.db'}")
    migrate_registry(reg)
    flow = Instruction(engine, lambda: reg)
    assert _build(fixture_settings, engine).published  # type: ignore[attr-defined]
    store = ReleaseStore(fixture_settings.var_dir)
    assert DS not in store.manifest(store.current_id() or "").datasets  # nothing granted yet

    first = _granted(world, flow, "Tarification sociale des transports")
    with world.engine.begin() as conn:  # a draft is never in the register
        hab.create(
            conn, world.principal(conn, "partenaire"), PARTNER, request(finalite="Brouillon")
        )
    assert _build(fixture_settings, engine, [DS]).published  # type: ignore[attr-defined]
    with TestClient(create_app(fixture_settings), base_url="http://127.0.0.1:8000") as client:
        records = client.get(f"{E}/datasets/{DS}/records", params={"limit": 10}).json()
        export = client.get(f"{E}/datasets/{DS}/exports/csv")
        dcat = client.get(f"{E}/exports/dcat")
        catalog = client.get(f"{E}/datasets", params={"limit": 100}).json()
    assert [(r["habilitation"], r["etat"], r["scopes"]) for r in records["results"]] == [
        (first, "validee", scopes.SCOLARITE)
    ]
    assert records["results"][0]["organisation"] == "CAF du Rhône"
    text = export.content.decode("utf-8-sig")
    assert "Tarification sociale des transports" in text and "Brouillon" not in text
    assert DPO not in text and TECH not in text and "Dominique" not in text
    assert set(next(csv.reader(io.StringIO(text), delimiter=";"))) == set(register.COLUMNS)
    assert DS in {d["dataset_id"] for d in catalog["results"]}
    assert dcat.status_code == 200 and DS in dcat.text

    with world.engine.connect() as conn:
        instructor = world.principal(conn, "instructeur")
    flow.apply(instructor, first, Event.REVOQUER, "Fin de la convention.")
    assert _build(fixture_settings, engine, [DS]).published  # type: ignore[attr-defined]
    with TestClient(create_app(fixture_settings), base_url="http://127.0.0.1:8000") as client:
        after = client.get(f"{E}/datasets/{DS}/records").json()["results"]
    assert [(r["habilitation"], r["etat"]) for r in after] == [(first, "revoquee")]
    engine.dispose()
    reg.dispose()


def test_ingest_passes_the_register_only_when_the_control_plane_exists(tmp_path: Path) -> None:
    from ardoise.cli import _service_sources
    from ardoise.settings import load_settings

    settings = load_settings(environ={}, var_dir=tmp_path / "var")
    assert _service_sources(settings) == []  # no control plane yet: nothing to publish
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'controle.db'}")
    migrate(engine)
    engine.dispose()
    [source] = _service_sources(settings)
    assert source.dataset_id == DS and source.descriptor == register.DESCRIPTOR
    assert source.write(tmp_path / "out") == 0  # nothing granted: no file
