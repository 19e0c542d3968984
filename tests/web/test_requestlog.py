"""Structured logs (issue #17): with ARDOISE_LOG_FORMAT=json, one JSON line per request
(request id, route family, masked target, status, duration, release) and every other
record as JSON too; a broad traffic mix, the enrolment API included (synthetic pupils, a
bearer token, forwarded addresses, a traceable User-Agent), leaves none of them in any
log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from starlette.testclient import TestClient

from ardoise.errors import ConfigError
from ardoise.release.build import build_release
from ardoise.settings import Secret, Settings
from ardoise.web import serving
from ardoise.web.app import create_app
from ardoise.web.requestlog import JsonFormatter
from tests.fixtures import fake_referential
from tests.scolarite.sample import PRIVATE_STRINGS, PUPILS, SIRET, identity_params, write_extract

E = "/api/explore/v2.1/catalog/datasets"
ADDRESSES = ("198.51.100.77", "2001:db8::4c1")
CLIENT = ("httpx", "httpcore")
AGENT = "Mozilla/5.0 (X11; Linux) TraceableBrowser/9.9-QXZW"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def lines() -> Iterator[_Lines]:
    handler = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def _registry(tmp: Path) -> tuple[str, str]:
    """A SQLite registry of the synthetic pupils, and a token's secret."""
    from ardoise.scolarite import scopes, tokens
    from ardoise.scolarite.database import make_engine, migrate
    from ardoise.scolarite.extract import import_extract

    url = f"sqlite:///{tmp / 'registre.sqlite'}"
    engine = make_engine(url, pool_size=2)
    migrate(engine)
    today = datetime.now(UTC)
    assert import_extract(engine, write_extract(tmp / "extrait.csv", PUPILS), today=today.date()).ok
    _token, secret = tokens.create(
        engine, siret=SIRET, intitule="Mairie de test", scopes=list(scopes.ALL),
        expire_le=today + timedelta(days=30), limite_par_seconde=1000, now=today,
    )  # fmt: skip
    engine.dispose()
    return url, secret


def test_one_json_line_per_request_and_no_personal_data(
    fixture_settings: Settings, tmp_path: Path, lines: _Lines
) -> None:
    build_release(fixture_settings, build_referential_fn=fake_referential)
    url, secret = _registry(tmp_path)
    settings = fixture_settings.replace(scolarite_database_url=Secret(url), log_format="json")
    pupil = identity_params(PUPILS[0])
    bearer = {"Authorization": f"Bearer {secret}", "User-Agent": AGENT}
    calls: list[tuple[str, str, dict[str, str], object]] = [
        ("GET", f"{E}/test-ips-ecoles/records?limit=2", {}, None),
        ("GET", f"{E}/test-ips-ecoles/records?limit=2", {}, None),  # from the cache
        ("GET", f"{E}/test-ips-ecoles/exports/csv", {}, None),
        ("GET", f"{E}/inconnu/records", {}, None),
        ("GET", "/donnees/test-ips-ecoles", {}, None),
        ("GET", "/health", {}, None),
        ("GET", "/v3/men/scolarites/identite", bearer, pupil),
        ("GET", "/v3/men/scolarites/identite", {"Authorization": "Bearer faux"}, pupil),
        ("GET", "//v3/men/scolarites/identite", bearer, pupil),  # no route: masked too
        ("GET", "/v6/men/scolarites/identite", bearer, pupil),
        ("POST", "/mcp", {"Accept": "application/json, text/event-stream"}, None),
    ]
    answers = []
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        for n, (method, path, headers, params) in enumerate(calls):
            forwarded = {"X-Forwarded-For": ADDRESSES[n % 2], "User-Agent": AGENT, **headers}
            if method == "POST":
                body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
                answers.append(client.post(path, json=body, headers=forwarded))
            else:
                answers.append(client.get(path, params=params, headers=forwarded))  # type: ignore[arg-type]
        mine = client.get("/health", headers={"X-Request-ID": "essai-1234abcd"})
        forged = client.get("/health", headers={"X-Request-ID": 'x" injected'})
    assert answers[6].status_code == 200, answers[6].text  # the pupil was found
    requests = [json.loads(x) for x in lines.lines if '"journal":"ardoise.requests"' in x]
    assert len(requests) == len(calls) + 2
    for line, answer, (method, _path, _h, _p) in zip(requests, answers, calls, strict=False):
        assert line["methode"] == method and line["statut"] == answer.status_code
        assert line["requete"] == answer.headers["x-request-id"]
        assert line["duree_ms"] >= 0 and line["release"] and line["octets"] >= 0
    assert [r["route"] for r in requests[:7]] == [
        "records", "records", "export", "records", "page", "service", "scolarite",
    ]  # fmt: skip
    assert requests[6]["cible"] == "/v3/men/scolarites/identite?[masqué]"
    assert requests[8]["cible"].endswith("?[masqué]")
    assert len({r["requete"] for r in requests}) == len(requests)
    assert mine.headers["x-request-id"] == "essai-1234abcd" == requests[-2]["requete"]
    assert forged.headers["x-request-id"] != 'x" injected'
    assert all("\n" not in x and json.loads(x) for x in lines.lines)  # one JSON line each
    # the application's lines (the test client's own log the URLs it calls), %-decoded
    app_lines = [x for x in lines.lines if not json.loads(x)["journal"].startswith(CLIENT)]
    every = unquote_plus("\n".join(app_lines))
    secrets = (*PRIVATE_STRINGS, secret, *ADDRESSES, "TraceableBrowser", "QXZW", "testclient")
    assert [s for s in secrets if s in every] == []


def test_the_format_is_checked_and_uvicorn_follows_it(fixture_settings: Settings) -> None:
    with pytest.raises(ConfigError, match="texte ou json"):
        create_app(fixture_settings.replace(log_format="xml"))
    assert "log_config" not in serving.options(fixture_settings)
    options = serving.options(fixture_settings.replace(log_format="json"))
    assert options["access_log"] is False
    assert options["log_config"]["formatters"]["json"]["()"].endswith("JsonFormatter")
