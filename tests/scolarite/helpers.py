"""A registry + app + client bundle shared by the scolarité HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ardoise.scolarite import scopes, tokens
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.extract import import_extract
from ardoise.scolarite.router import install
from ardoise.scolarite.service import ScolariteService
from tests.scolarite.conftest import new_registry_url
from tests.scolarite.sample import NOW, PUPILS, SIRET, write_extract


@dataclass
class Env:
    url: str
    engine: Engine
    service: ScolariteService
    client: TestClient
    sleeps: list[float] = field(default_factory=list)

    def token(
        self,
        wanted: tuple[str, ...] = scopes.ALL,
        limit: int = 100_000,
        created: datetime = NOW - timedelta(days=1),
        expires: datetime = NOW + timedelta(days=500),
    ) -> tuple[tokens.Token, str]:
        return tokens.create(
            self.engine, siret=SIRET, intitule="Mairie de test", scopes=list(wanted),
            expire_le=expires, limite_par_seconde=limit, now=created,
        )  # fmt: skip

    def auth(self, secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}"}


def build_env(
    kind: str, tmp: Path, request: pytest.FixtureRequest, threshold: int = 1000
) -> Iterator[Env]:
    url = new_registry_url(kind, tmp, request)
    engine = make_engine(url, pool_size=4)
    migrate(engine)
    report = import_extract(engine, write_extract(tmp / "extrait.csv", PUPILS), today=NOW.date())
    assert report.ok, report.problems
    sleeps: list[float] = []
    service = ScolariteService(
        url, clock=lambda: NOW, sleep=sleeps.append, enumeration_threshold=threshold, pool_size=4
    )
    app = FastAPI()
    install(app, service)
    with TestClient(app) as client:
        yield Env(url, engine, service, client, sleeps)
    service.close()
    engine.dispose()
