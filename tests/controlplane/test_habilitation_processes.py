"""A habilitation revoked through one ``ardoise serve`` process stops its token on another
within one second (issue #16): two processes, one PostgreSQL holding the control plane and
the registry. The revocation is posted to process A's page by a signed-in instructor;
process B is polled with the token from the moment A answered. The delay is printed
(``-s``) and asserted under one second."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ardoise.controlplane import habilitation_tokens as hab_tokens
from ardoise.controlplane import habilitations as hab
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.instruction import Instruction
from ardoise.release.build import build_release
from ardoise.scolarite import scopes
from ardoise.scolarite.database import make_engine as registry_engine
from ardoise.scolarite.database import migrate as migrate_registry
from ardoise.scolarite.extract import import_extract
from ardoise.settings import Settings
from tests.controlplane.habilitation_world import PARTNER, PASSWORD, request, seed
from tests.fixtures import fake_referential
from tests.identity import free_port
from tests.scolarite.sample import NOW, PUPILS, identity_params, write_extract

ROOT = Path(__file__).resolve().parents[2]
API = "/v3/men/scolarites/identite"
COOKIE = "ardoise_session"


def _wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail("ardoise serve ne démarre pas")
        time.sleep(0.3)


@pytest.fixture
def world(
    fixture_settings: Settings, postgres_schemas: object, tmp_path: Path
) -> Iterator[tuple[str, str, list[int]]]:
    """(habilitation id, token secret, [port A, port B])."""
    assert build_release(fixture_settings, build_referential_fn=fake_referential).published
    url = str(postgres_schemas())  # type: ignore[operator]
    engine = make_engine(url)
    migrate(engine)
    people = seed(engine)
    registry = registry_engine(url)
    migrate_registry(registry)
    extract = write_extract(tmp_path / "extrait.csv", PUPILS)
    assert import_extract(registry, extract, today=NOW.date()).ok
    flow = Instruction(engine, lambda: registry)
    with engine.begin() as conn:
        partner = people.principal(conn, "partenaire")
        created = hab.create(conn, partner, PARTNER, request(scopes=scopes.ALL))
        instructor = people.principal(conn, "instructeur")
    flow.submit(partner, created.id)
    flow.grant(instructor, created.id, list(scopes.ALL), datetime.now(UTC) + timedelta(days=90))
    _token, secret = hab_tokens.issue(engine, registry, partner, created.id, rate_limit=1000)
    engine.dispose()
    registry.dispose()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "src"),
        ARDOISE_VAR_DIR=str(fixture_settings.var_dir),
        ARDOISE_MIRROR=str(fixture_settings.mirror),
        ARDOISE_CATALOG_DIR=str(fixture_settings.catalog_dir),
        ARDOISE_CONTROLPLANE_DATABASE_URL=url,
        ARDOISE_SCOLARITE_DATABASE_URL=url,
        ARDOISE_LOCAL_SIGN_IN="1",
        ARDOISE_ACCESS_LOG="0",
        ARDOISE_USAGE_COUNT="0",
    )
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ardoise.cli", "serve", "--port", str(p)],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_up(port, proc)
        yield created.id, secret, ports
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def _csrf(text: str) -> str:
    return text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


class Browser:
    """A signed-in browser on process A (the session cookie is Secure: sent by hand)."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
        self.cookie = ""

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            if header.startswith(f"{COOKIE}="):
                self.cookie = header.split(";", 1)[0]
        return response

    def get(self, path: str) -> httpx.Response:
        return self._keep(self.client.get(path, headers={"cookie": self.cookie}))

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self._keep(self.client.post(path, data=data, headers={"cookie": self.cookie}))


def test_a_revocation_on_one_process_stops_the_token_on_the_other_within_a_second(
    world: tuple[str, str, list[int]],
) -> None:
    hid, secret, (port_a, port_b) = world
    params = identity_params(PUPILS[0], recipient="23690001900019")
    auth = {"Authorization": f"Bearer {secret}"}
    other = httpx.Client(base_url=f"http://127.0.0.1:{port_b}", timeout=10)
    for port in (port_a, port_b):
        works = httpx.get(f"http://127.0.0.1:{port}{API}", params=params, headers=auth, timeout=10)
        assert works.status_code == 200, works.text  # the token works on both processes
    browser = Browser(f"http://127.0.0.1:{port_a}")
    signin = browser.get("/compte/connexion")
    done = browser.post("/compte/connexion", {
        "email": "instructeur@exemple.fr", "mot_de_passe": PASSWORD, "csrf": _csrf(signin.text),
    })  # fmt: skip
    assert done.status_code == 303, done.text
    page = f"/producteurs/habilitations/{hid}"
    form = browser.get(page)
    assert form.status_code == 200 and "Révoquer" in form.text
    revoked = browser.post(f"{page}/revoquer", {"message": "Fuite.", "csrf": _csrf(form.text)})
    assert revoked.status_code == 303, revoked.text
    start = time.monotonic()
    status = 200
    while status != 401 and time.monotonic() - start < 5:
        status = other.get(API, params=params, headers=auth).status_code
    delay = time.monotonic() - start
    print(f"\nrévocation visible sur l'autre processus en {delay * 1000:.1f} ms")
    assert status == 401 and delay < 1.0
    other.close()
    browser.client.close()
