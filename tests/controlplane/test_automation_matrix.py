"""The permission matrix over the Automation API (issue #15): every kind of caller ×
every endpoint → exactly the expected status, generated from one declared table
(:data:`EXPECTED`: the callers allowed per action; 401 for no key or a revoked one, 403
for every other refusal). Each call is a real HTTP request on the app."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ardoise.controlplane import datasets, keys, organisations, submissions
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.permissions import OPERATOR
from ardoise.release.build import build_release
from ardoise.settings import Settings, load_settings
from ardoise.web.app import create_app
from tests.controlplane.jobs import validated
from tests.controlplane.test_declarations import DESCRIPTOR, NEW
from tests.fixtures import fake_referential, write_catalog, write_mirror

IPS = "test-ips-ecoles"
API = "/api/producteurs/v1"
ROOT = Path(__file__).resolve().parents[2]
CALLERS = ("anonyme", "cle_lire", "cle_soumettre", "cle_relire", "cle_autre", "cle_revoquee")
EXPECTED: dict[str, set[str]] = {
    "organisation.lire": {"cle_lire"},
    "version.soumettre": {"cle_soumettre"},
    "soumission.lire": {"cle_lire"},
    "soumission.relire": {"cle_relire"},
    "jeu.declarer": {"cle_soumettre"},
    "moisson.gerer": {"cle_soumettre"},
}
CREATED = {"jeu.declarer"}  # answered 201 when allowed


@dataclass
class World:
    settings: Settings
    client: TestClient
    secrets: dict[str, str]
    engine: object
    shared: str = ""  # a submission every reader reads
    declared: int = 0  # datasets declared so far (each call declares a new id)

    def submission(self) -> str:
        """A fresh submission by the operator, waiting for review."""
        csv = (self.settings.mirror / "ips" / "ecoles.csv").read_bytes()
        found = submissions.submit(
            self.engine,
            self.settings,
            OPERATOR,
            IPS,
            io.BytesIO(csv),
            "ecoles.csv",  # type: ignore[arg-type]
        )
        return validated(self.engine, self.settings, found).id  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("automatisation")
    url = f"sqlite:///{tmp / 'cp.db'}"
    settings = load_settings(
        environ={},
        mirror=write_mirror(tmp / "mirror"),
        catalog_dir=write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
        controlplane_database_url=url,
    )
    assert build_release(settings, build_referential_fn=fake_referential).published
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        for org, siret in (("ministere", "11004301500012"), ("depp", "13002526500013")):
            organisations.create_organisation(
                conn, OPERATOR, id=org, name=org, siret=siret, type="direction"
            )
        datasets.claim_for_ministry(conn, OPERATOR, [IPS])
        secrets = {
            f"cle_{scope}": keys.create_key(conn, OPERATOR, "ministere", scope, [scope])[1]
            for scope in ("lire", "soumettre", "relire")
        }
        secrets["cle_autre"] = keys.create_key(
            conn, OPERATOR, "depp", "x", ["lire", "soumettre", "relire"]
        )[1]
        revoked, secrets["cle_revoquee"] = keys.create_key(
            conn, OPERATOR, "ministere", "r", ["lire", "soumettre", "relire"]
        )
        keys.revoke_key(conn, OPERATOR, "ministere", revoked.id)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        made = World(settings, client, secrets, engine)
        made.shared = made.submission()
        yield made
    engine.dispose()


def _calls(world: World) -> dict[str, Callable[[dict[str, str]], int]]:
    csv = (world.settings.mirror / "ips" / "ecoles.csv").read_bytes()

    def submit(headers: dict[str, str]) -> int:
        files = {"fichier": ("ecoles.csv", csv, "text/csv")}
        return world.client.post(
            f"{API}/jeux/{IPS}/versions", files=files, headers=headers
        ).status_code

    def review(headers: dict[str, str]) -> int:
        sid = world.submission()
        return world.client.post(
            f"{API}/soumissions/{sid}/approbation", json={}, headers=headers
        ).status_code

    def declare(headers: dict[str, str]) -> int:
        world.declared += 1
        text = DESCRIPTOR.replace(f"id: {NEW}", f"id: {NEW}-{world.declared}")
        files = {"descripteur": ("jeu.yaml", text.encode(), "application/yaml")}
        return world.client.post(
            f"{API}/organisations/ministere/jeux", files=files, headers=headers
        ).status_code

    def schedule(headers: dict[str, str]) -> int:
        body = {"source": "https://exemple.fr/ecoles.csv", "frequence": "hebdomadaire"}
        return world.client.put(f"{API}/jeux/{IPS}/moisson", json=body, headers=headers).status_code

    return {
        "jeu.declarer": declare,
        "moisson.gerer": schedule,
        "organisation.lire": lambda h: (
            world.client.get(f"{API}/organisations/ministere", headers=h).status_code
        ),
        "version.soumettre": submit,
        "soumission.lire": lambda h: (
            world.client.get(f"{API}/soumissions/{world.shared}", headers=h).status_code
        ),
        "soumission.relire": review,
    }


CASES = [(action, caller) for action in EXPECTED for caller in CALLERS]


@pytest.mark.parametrize(("action", "caller"), CASES, ids=[f"{a}-{c}" for a, c in CASES])
def test_automation_permission(world: World, action: str, caller: str) -> None:
    headers = {} if caller == "anonyme" else {"Authorization": f"Bearer {world.secrets[caller]}"}
    status = _calls(world)[action](headers)
    if caller in EXPECTED[action]:
        # 201: created; 202: queued for validation
        expected = 201 if action in CREATED else 202 if action == "version.soumettre" else 200
        assert status == expected
    else:
        assert status == (401 if caller in ("anonyme", "cle_revoquee") else 403)
