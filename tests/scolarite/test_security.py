"""Security: token matrix × scopes × endpoints, recipient validation, rate limit,
enumeration throttling, and 10,000 random and hostile inputs (never a 500)."""

from __future__ import annotations

import asyncio
import random
import secrets as pysecrets
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ardoise.scolarite import scopes, tokens
from ardoise.scolarite.router import install
from ardoise.scolarite.schema import audit as audit_table
from ardoise.scolarite.service import ScolariteService
from ardoise.scolarite.siret import is_siret
from tests.scolarite.helpers import Env, build_env
from tests.scolarite.sample import NOW, PUPILS, identity_params

ENDPOINTS = (
    "/v3/men/scolarites/identite",
    "/v4/men/scolarites/identite",
    "/v5/men/scolarites/identite",
    "/api/introspect",
)
KINDS = ("absent", "mal_forme", "inconnu", "expire", "revoque", "valide")
SCOPE_SETS = ((scopes.SCOLARITE,), (scopes.REGIME,), scopes.ALL)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from build_env(request.param, tmp_path_factory.mktemp("registre"), request, threshold=5)


@pytest.fixture(scope="module")
def matrix_tokens(env: Env) -> dict[tuple[str, tuple[str, ...]], str | None]:
    out: dict[tuple[str, tuple[str, ...]], str | None] = {}
    for granted in SCOPE_SETS:
        out[("absent", granted)] = None
        out[("mal_forme", granted)] = "pas-un-jeton"
        out[("inconnu", granted)] = tokens.PREFIX + pysecrets.token_urlsafe(32)
        out[("valide", granted)] = env.token(granted)[1]
        out[("expire", granted)] = env.token(
            granted, created=NOW - timedelta(days=600), expires=NOW - timedelta(days=1)
        )[1]
        revoked, secret = env.token(granted)
        tokens.revoke(env.engine, revoked.id, now=NOW)
        out[("revoque", granted)] = secret
    return out


def expected(kind: str, granted: tuple[str, ...], endpoint: str) -> tuple[int, str | None]:
    if kind in ("absent", "mal_forme", "inconnu"):
        return 401, "00101"
    if kind == "revoque":
        return 401, "00105"
    if kind == "expire":
        return 401, "00103"
    if endpoint == "/api/introspect":
        return 200, None
    accepted = set(scopes.ALL) - ({scopes.REGIME} if not endpoint.startswith("/v5") else set())
    return (200, None) if accepted & set(granted) else (403, "00100")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("granted", SCOPE_SETS, ids=["scolarite", "regime", "tous"])
@pytest.mark.parametrize("kind", KINDS)
def test_token_matrix(
    env: Env,
    matrix_tokens: dict[tuple[str, tuple[str, ...]], str | None],
    kind: str,
    granted: tuple[str, ...],
    endpoint: str,
) -> None:
    secret = matrix_tokens[(kind, granted)]
    headers = {} if secret is None else env.auth(secret)
    res = env.client.get(endpoint, params=identity_params(PUPILS[0]), headers=headers)
    status, code = expected(kind, granted, endpoint)
    assert res.status_code == status, res.text
    assert res.headers["X-Request-ID"]
    if code is not None:
        assert res.json()["errors"][0]["code"] == code
        assert "data" not in res.json()
    elif endpoint == "/api/introspect":
        assert res.json()["scopes"] == sorted(granted)
    else:
        assert set(res.json()["data"]) <= set(scopes.FIELD_SCOPES)
    with env.engine.connect() as conn:
        row = conn.execute(
            select(audit_table.c.statut).where(
                audit_table.c.request_id == res.headers["X-Request-ID"]
            )
        ).one()
    assert row.statut == status


def test_introspect_token_in_query(env: Env) -> None:
    _, secret = env.token((scopes.IDENTITE,))
    res = env.client.get("/api/introspect", params={"token": secret})
    assert res.status_code == 200 and res.json()["scopes"] == [scopes.IDENTITE]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("13002526500013", True),
        ("35600000000001", True),  # La Poste: digit sum multiple of 5, not Luhn
        ("13002526500014", False),
        ("1300252650001", False),
        ("130025265000130", False),
        ("1300252650001A", False),
        ("１３００２５２６５０００１３", False),  # full-width digits
        ("", False),
        ("00000000000000", True),  # Luhn-valid, as in API Particulier
    ],
)
def test_recipient_validation(env: Env, value: str, ok: bool) -> None:
    assert is_siret(value) is ok
    _, secret = env.token()
    res = env.client.get(
        "/v3/men/scolarites/identite",
        params=identity_params(PUPILS[0], recipient=value),
        headers=env.auth(secret),
    )
    assert res.status_code == (200 if ok else 422)


def test_rate_limit_headers_and_429(env: Env) -> None:
    _, secret = env.token(limit=20)
    env.service.limiter.clock = lambda: 5000.25
    try:
        answers = [env.client.get("/api/introspect", headers=env.auth(secret)) for _ in range(21)]
    finally:
        env.service.limiter.clock = __import__("time").monotonic
    assert [int(r.headers["RateLimit-Remaining"]) for r in answers[:20]] == list(range(19, -1, -1))
    assert all(r.headers["RateLimit-Limit"] == "20" for r in answers)
    last = answers[-1]
    assert last.status_code == 429 and last.json()["errors"][0]["code"] == "00429"
    assert int(last.headers["Retry-After"]) >= 1 and last.headers["RateLimit-Reset"]


def test_rate_limit_is_shared_by_server_processes(env: Env) -> None:
    """Two services on one registry, as two worker processes: on PostgreSQL the token's
    calls are counted in the database, so the limit holds for both together."""
    if env.url.startswith("sqlite"):
        pytest.skip("SQLite : chaque processus compte ses propres appels (documenté)")
    _, secret = env.token(limit=4)
    other = ScolariteService(env.url, clock=lambda: NOW, pool_size=2)  # the "second worker"
    app = FastAPI()
    install(app, other)
    with TestClient(app) as second:
        answers = [
            client.get("/api/introspect", headers=env.auth(secret))
            for client in (env.client, second) * 3
        ]
    other.close()
    assert [r.status_code for r in answers] == [200] * 4 + [429] * 2
    assert [r.headers["RateLimit-Remaining"] for r in answers] == ["3", "2", "1", "0", "0", "0"]


def test_enumeration_throttle_is_shared_by_server_processes(env: Env) -> None:
    """Probes spread over two services (two worker processes) are counted together on
    PostgreSQL: twelve misses trip the throttle (threshold 5) as on one process; counted
    per process, each would have seen six and never refused."""
    if env.url.startswith("sqlite"):
        pytest.skip("SQLite : chaque processus compte ses propres échecs (documenté)")
    _, secret = env.token()
    other = ScolariteService(
        env.url, clock=lambda: NOW, sleep=lambda _s: None, enumeration_threshold=5, pool_size=2
    )
    app = FastAPI()
    install(app, other)
    statuses = []
    with TestClient(app) as second:
        for day, client in zip(range(1, 13), (env.client, second) * 6, strict=True):
            params = identity_params(
                PUPILS[0], jourDateNaissance=str(day + 10), nomNaissance="Sonde"
            )
            res = client.get("/v3/men/scolarites/identite", params=params, headers=env.auth(secret))
            statuses.append(res.status_code)
    other.close()
    assert statuses[:5] == [404] * 5
    assert statuses[-1] == 429


def test_enumeration_is_slowed_then_refused_and_flagged(env: Env) -> None:
    _, secret = env.token()
    env.sleeps.clear()
    p = PUPILS[0]
    statuses = []
    for day in range(1, 13):  # the same pupil, probing birth dates: near-identical queries
        params = identity_params(p, jourDateNaissance=str(day + 10), nomNaissance="Sondage")
        res = env.client.get("/v3/men/scolarites/identite", params=params, headers=env.auth(secret))
        statuses.append(res.status_code)
    assert statuses[:5] == [404] * 5
    assert 404 in statuses[5:10] and env.sleeps and all(s > 0 for s in env.sleeps)
    assert statuses[-1] == 429
    with env.engine.connect() as conn:
        flags = conn.execute(
            select(audit_table.c.drapeau).where(audit_table.c.drapeau == "enumeration")
        ).all()
    assert len(flags) >= 6
    # another administration's token is not slowed by it
    _, other = env.token()
    res = env.client.get(
        "/v3/men/scolarites/identite", params=identity_params(p), headers=env.auth(other)
    )
    assert res.status_code == 200 and "X-Ralentissement" not in res.headers


HOSTILE = [
    "", " ", "'", '"', "' OR 1=1 --", "'; DROP TABLE scolarite_eleves; --", "%00", "\x00",
    "\u202e", "\ufeff", "𝔐𝔞𝔯𝔱𝔦𝔫", "Ⅻ", "٣", "１２", "-1", "0", "1e3", "99999999999999999999",
    "NaN", "null", "[]", "{}", "<script>alert(1)</script>", "../../etc/passwd", "A" * 5000,
    "é" * 300, "\n", "\t", "2025-2026-2027", "0350027P" * 3, "02A", "1D", "3D", "M", "F",
    "Œ", "’", "e\u0301", "ß", "İ", "ﬁ", "\udcff", "\\", "%", "_", "*",
]  # fmt: skip
NAMES = [
    "recipient", "nomNaissance", "prenoms[]", "sexeEtatCivil", "anneeDateNaissance",
    "moisDateNaissance", "jourDateNaissance", "codeEtablissement", "anneeScolaire",
    "degreEtablissement", "codesBcnDepartements[]", "codesBcnRegions[]", "token", "prenoms",
]  # fmt: skip


def _hostile_params(rnd: random.Random) -> list[tuple[str, str]]:
    base = identity_params(PUPILS[rnd.randrange(len(PUPILS))])
    out = [kv for kv in base if rnd.random() > 0.25]
    for _ in range(rnd.randint(1, 4)):
        name = rnd.choice(NAMES)
        value = rnd.choice(HOSTILE) if rnd.random() < 0.7 else "".join(
            chr(rnd.randint(1, 0x2FFF)) for _ in range(rnd.randint(1, 20))
        )  # fmt: skip
        if rnd.random() < 0.5:
            out = [kv for kv in out if kv[0] != name]
        out.append((name, value.replace("\udcff", "?")))
    rnd.shuffle(out)
    return out


def test_ten_thousand_hostile_inputs(env: Env) -> None:
    """Through the in-process ASGI app, 32 at a time (the audit writer batches commits)."""
    if not env.url.startswith("sqlite"):
        pytest.skip("une seule base suffit pour le fuzzing (SQLite)")
    _, secret = env.token()
    rnd = random.Random(20261123)
    cases = [_hostile_params(rnd) for _ in range(10_000)]
    app = env.client.app

    async def run() -> list[tuple[int, dict[str, object]]]:
        gate = asyncio.Semaphore(32)
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def one(params: list[tuple[str, str]]) -> tuple[int, dict[str, object]]:
                async with gate:
                    res = await client.get(
                        "/v3/men/scolarites/identite", params=params, headers=env.auth(secret)
                    )
                    return res.status_code, res.json()

            return await asyncio.gather(*(one(c) for c in cases))

    seen: dict[int, int] = {}
    for status, body in asyncio.run(run()):
        seen[status] = seen.get(status, 0) + 1
        assert status in (200, 404, 409, 422, 429), body
        assert ("data" in body) == (status == 200)
    assert seen.get(422, 0) > 1000 and seen.get(200, 0) > 0  # the generator reaches both
