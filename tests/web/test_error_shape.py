"""Every exception class of the tree has a declared HTTP mapping, and every surface answers
it with its own canonical shape (STYLE L4, L5; issue #12 point 6).

The classes are discovered, not listed: every subclass of ``ArdoiseError`` defined in any
module of ``src/ardoise``, so a new class is covered by this test the day it is written.
Each is raised where every request starts (the served release), then asked of:

* the Explore API (v2.1, v2.0), v1 and the territory API: ``{"error_code", "message"}``
  (+ ``position`` for a positioned ODSQL error), with ``web.errors``' status;
* the dashboard: a French HTML page and its JSON twin, with the same status and body;
* MCP: a tool error (``isError``) carrying the French message;
* the scolarité API, for the classes it answers: API Particulier's ``{"errors": [...]}``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from markupsafe import escape
from mcp import Client
from starlette.testclient import TestClient

import ardoise
from ardoise.errors import ArdoiseError, MissingExtra
from ardoise.mcp import build_server
from ardoise.odsql.errors import QueryError
from ardoise.query.release import ReleaseHolder
from ardoise.scolarite import errors as scolarite_errors
from ardoise.settings import Settings, load_settings
from ardoise.web import errors
from ardoise.web.app import create_app
from ardoise.web.scolarite import NotInstalled

ROOT = Path(__file__).resolve().parents[2]
# alembic's env.py runs only under alembic
SKIPPED = ("ardoise.scolarite.migrations", "ardoise.controlplane.migrations")


def _modules() -> Iterator[str]:
    for info in pkgutil.walk_packages(ardoise.__path__, "ardoise."):
        if not info.name.startswith(SKIPPED) and not info.name.endswith("__main__"):
            yield info.name


def _tree() -> list[type[ArdoiseError]]:
    for name in _modules():
        importlib.import_module(name)
    found: list[type[ArdoiseError]] = []
    todo: list[type[ArdoiseError]] = [ArdoiseError]
    while todo:
        kind = todo.pop()
        if kind.__module__.startswith("ardoise.") and kind not in found:
            found.append(kind)
        todo.extend(kind.__subclasses__())
    return sorted(found, key=lambda k: (k.__module__, k.__qualname__))


CLASSES = _tree()
# argument values by annotation, to build any class of the tree without a list of them
VALUES: dict[str, object] = {
    "str": "valeur d'essai",
    "str | None": "where",
    "int": 3,
    "int | None": 7,
    "Iterable[str]": ("csv", "json"),
}


def instance(kind: type[ArdoiseError]) -> ArdoiseError:
    """``kind`` built from its signature: a message, or a value per required parameter."""
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for p in inspect.signature(kind.__init__).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is not p.empty and p.name not in ("clause", "col"):
            continue
        annotation = str(p.annotation) if p.annotation is not p.empty else "str"
        assert annotation in VALUES, f"{kind.__name__}({p.name}: {annotation}): add a value"
        value = VALUES[annotation] if p.name != "clause" else "where"
        if p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    if not args and not kwargs and "__init__" not in vars(kind):
        args = [f"Erreur d'essai : {kind.__name__}."]
    return kind(*args, **kwargs)


def expected_body(exc: ArdoiseError) -> set[str]:
    positioned = isinstance(exc, QueryError) and exc.clause is not None and exc.col is not None
    return {"error_code", "message", "position"} if positioned else {"error_code", "message"}


def test_the_tree_is_discovered() -> None:
    names = {k.__name__ for k in CLASSES}
    for name in ("QueryTimeout", "ExportTooLarge", "TerritoryNotFound", "IndicatorNotFound"):
        assert name in names
    for name in ("TokenError", "AuditUnavailable", "RegistryUnavailable", "GeometryError"):
        assert name in names
    assert len(CLASSES) >= 35


def test_the_tree_is_drawn_in_the_docstring() -> None:
    doc = ardoise.errors.__doc__ or ""
    missing = [k.__name__ for k in CLASSES if not re.search(rf"[*x] {k.__name__}\b", doc)]
    assert not missing, missing


@pytest.mark.parametrize("kind", CLASSES, ids=lambda k: k.__name__)
def test_every_class_has_a_declared_mapping(kind: type[ArdoiseError]) -> None:
    declared = [k for k in kind.__mro__ if k in errors.ERRORS]
    assert declared, kind
    assert kind is ArdoiseError or declared[0] is not ArdoiseError, (
        f"{kind.__name__} has no entry of its own in web.errors.ERRORS (only the fallback)"
    )
    exc = instance(kind)
    assert str(exc)
    assert 400 <= errors.status_of(exc) < 600
    assert set(errors.error_body(exc)) == expected_body(exc)


def test_server_faults_are_never_client_errors() -> None:
    from ardoise.errors import ConfigError, ReleaseCorrupt

    for kind in CLASSES:
        if issubclass(kind, (ConfigError, ReleaseCorrupt, MissingExtra)):
            assert errors.status_of(instance(kind)) >= 500, kind


class _Raising(ReleaseHolder):
    """A holder whose release raises the exception under test."""

    error: ArdoiseError = ArdoiseError("pas encore")

    def get(self) -> Any:
        raise self.error

    def loaded(self) -> Any:  # the event loop's look at the holder (api.deps.current_release)
        raise self.error


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(
        environ={}, var_dir=tmp_path_factory.mktemp("shape"), node_modules=ROOT / "node_modules"
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> TestClient:
    app = create_app(settings)
    holder = _Raising(settings)
    app.state.releases = holder
    app.state.raising = holder
    return TestClient(app, raise_server_exceptions=False)


API = (
    "/api/explore/v2.1/catalog/datasets",
    "/api/explore/v2.0/catalog/datasets/un-jeu/records",
    "/api/records/1.0/search/?dataset=un-jeu",
    "/api/v1/territoires?q=Lyon",
)


@pytest.mark.parametrize("kind", CLASSES, ids=lambda k: k.__name__)
def test_api_and_dashboard_answer_the_table(client: TestClient, kind: type[ArdoiseError]) -> None:
    exc = instance(kind)
    client.app.state.raising.error = exc  # type: ignore[attr-defined]
    status, body = errors.status_of(exc), errors.error_body(exc)
    for url in API:
        r = client.get(url)
        assert r.status_code == status, (url, r.text)
        assert r.json() == body, url
        assert set(r.json()) == expected_body(exc)
    page = client.get(f"/donnees?k={kind.__name__}")
    assert page.status_code == status and page.headers["content-type"].startswith("text/html")
    assert (
        '<html lang="fr"' in page.text.replace("'", '"') and str(escape(str(exc)))[:30] in page.text
    )
    twin = client.get(f"/donnees.json?k={kind.__name__}")
    assert twin.status_code == status and twin.json() == body


def test_mcp_answers_every_class_with_a_tool_error(settings: Settings) -> None:
    holder = _Raising(settings)
    server = build_server(settings, holder)

    async def main() -> list[tuple[str, bool, str]]:
        out = []
        async with Client(server) as mcp:
            for kind in CLASSES:
                holder.error = instance(kind)
                result = await mcp.call_tool("search_datasets", {"query": "ips"})
                text = " ".join(getattr(c, "text", "") for c in result.content)
                out.append((kind.__name__, bool(result.is_error), text))
        return out

    for (name, is_error, text), kind in zip(anyio.run(main), CLASSES, strict=True):
        assert is_error, name
        assert str(instance(kind)) in text and "Traceback" not in text, (name, text)


SCOLARITE = [k for k in CLASSES if scolarite_errors.api_error_of(instance(k)) is not None]


def test_the_scolarite_api_answers_its_classes() -> None:
    names = {k.__name__ for k in SCOLARITE}
    assert {"RegistryUnavailable", "AuditUnavailable", "MissingExtra"} <= names
    for kind in SCOLARITE:
        problem = scolarite_errors.api_error_of(instance(kind))
        assert problem is not None and problem.status == 503
        assert set(problem.body()) == {"code", "title", "detail", "source", "meta"}


def test_a_server_without_the_extra_answers_each_shape() -> None:
    error = MissingExtra("Vérification de scolarité", "scolarite", "sqlalchemy")

    async def fallback(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a scolarité path reached the app")

    client = TestClient(NotInstalled(fallback, error=error))
    api = client.get("/v3/men/scolarites/identite?nom=X")
    assert api.status_code == 503 and api.headers["cache-control"] == "no-store"
    (problem,) = api.json()["errors"]
    assert problem["code"] == "00503" and "pip install 'ardoise[scolarite]'" in problem["detail"]
    public = client.get("/verifier/abc")
    assert public.status_code == 503
    assert public.json() == {"error_code": "MissingExtra", "message": str(error)}


def test_a_bad_engine_setting_and_a_missing_file_are_server_faults(
    fixture_settings: Settings,
) -> None:
    """Once answered 400 as query errors (review D6): a bad ``memory_limit`` is a 500
    ConfigError, a Parquet file missing from the release a 503 ReleaseCorrupt."""
    from ardoise.release.build import build_release
    from tests.fixtures import fake_referential

    result = build_release(fixture_settings, build_referential_fn=fake_referential)
    url = "/api/explore/v2.1/catalog/datasets"
    bad = fixture_settings.replace(query_memory_limit="beaucoup")
    with TestClient(create_app(bad), raise_server_exceptions=False) as client:
        r = client.get(url)
        assert r.status_code == 500 and r.json()["error_code"] == "ConfigError"
        assert "memory_limit" in r.json()["message"] and "invalide" in r.json()["message"]
    folder = fixture_settings.releases_dir / str(result.release_id)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    entry = next(e for e in manifest["datasets"].values() if e.get("parquet"))
    (folder / entry["parquet"]["path"]).unlink()
    with TestClient(create_app(fixture_settings), raise_server_exceptions=False) as client:
        r = client.get(url)
        assert r.status_code == 503 and r.json()["error_code"] == "ReleaseCorrupt"
        assert "ne peut pas être servie" in r.json()["message"]
