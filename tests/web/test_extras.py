"""A server without the optional extras (``scolarite``, ``images``) serves the open data and
says in French what is missing when a restricted feature is called (issue #12, point 8).

The absence is simulated in a fresh interpreter whose import system refuses every module
of ``ardoise.extras.EXTRAS`` (and their submodules), before Ardoise is imported; except
``cryptography``, which the ``mcp`` SDK, a core dependency, needs for itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ardoise.extras import EXTRAS, installed
from ardoise.settings import Settings
from tests.dashboard import sample
from tests.fixtures import sample_release

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import importlib.abc, json, os, sys

BLOCKED = set(sys.argv[2].split(","))

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Absent())

from starlette.testclient import TestClient
from typer.testing import CliRunner

from ardoise.cli import app as cli
from ardoise.settings import load_settings
from ardoise.web.app import create_app

var = sys.argv[1]
settings = load_settings(environ={}, var_dir=var, node_modules=sys.argv[3])
out = {}
with TestClient(create_app(settings), raise_server_exceptions=False) as client:
    def get(url, **kw):
        r = client.get(url, **kw)
        kind = r.headers.get("content-type", "")
        body = r.json() if kind.startswith("application/json") else r.text
        return {"status": r.status_code, "type": kind, "body": body}

    out["health"] = get("/health")
    out["catalog"] = get("/api/explore/v2.1/catalog/datasets")
    out["identite"] = get("/v3/men/scolarites/identite?nom=X", headers={"Authorization": "Bearer x"})
    out["introspect"] = get("/api/introspect")
    out["certificat"] = get("/v3/men/scolarites/certificat")
    out["verifier"] = get("/verifier/abc")
    twin = client.get("/index.json").json()
    chart = twin["charts"][0]
    out["home"] = get("/")
    out["png"] = get(chart["telechargements"]["png"])
    out["svg"] = get(chart["telechargements"]["svg"])
    out["csv"] = get(chart["telechargements"]["csv"])
result = CliRunner().invoke(cli, ["scolarite", "etat"], env={"ARDOISE_VAR_DIR": var})
out["cli"] = {"status": result.exit_code, "body": result.output}
out["imported"] = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps(out), flush=True)
os._exit(0)  # daemon threads (the app's warm-up) may still hold DuckDB: no teardown
"""


@pytest.fixture(scope="module")
def without_extras(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    settings: Settings = sample_release(tmp_path_factory.mktemp("extras"), sample)
    blocked = sorted({m for modules in EXTRAS.values() for m in modules} - {"cryptography"})
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(settings.var_dir),
            ",".join(blocked),
            str(ROOT / "node_modules"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    data: dict[str, dict[str, object]] = json.loads(run.stdout.splitlines()[-1])
    return data


def test_the_extras_are_installed_here() -> None:
    assert installed("scolarite") and installed("images")


def test_the_open_data_is_served(without_extras: dict[str, dict[str, object]]) -> None:
    assert without_extras["health"]["status"] == 200
    catalog = without_extras["catalog"]
    assert catalog["status"] == 200 and catalog["body"]["total_count"] > 0  # type: ignore[index]
    assert without_extras["imported"] == []  # no module of the extras was loaded


def test_the_scolarite_api_names_the_missing_extra(
    without_extras: dict[str, dict[str, object]],
) -> None:
    for name in ("identite", "introspect", "certificat"):
        answer = without_extras[name]
        assert answer["status"] == 503, answer
        (problem,) = answer["body"]["errors"]  # type: ignore[index]
        assert problem["code"] == "00503"
        assert "pip install 'ardoise[scolarite]'" in problem["detail"]
        assert "non installée" in problem["detail"]
    public = without_extras["verifier"]
    assert public["status"] == 503
    assert public["body"]["error_code"] == "MissingExtra"  # type: ignore[index]
    assert "ardoise[scolarite]" in public["body"]["message"]  # type: ignore[index]


def test_chart_images_name_the_missing_extra(
    without_extras: dict[str, dict[str, object]],
) -> None:
    for fmt in ("png", "svg"):
        page = without_extras[fmt]
        assert page["status"] == 503 and str(page["type"]).startswith("text/html")
        assert "Service indisponible" in str(page["body"])
        assert "ardoise[images]" in str(page["body"])
    assert without_extras["csv"]["status"] == 200
    home = without_extras["home"]
    assert home["status"] == 200
    assert "/static/vega-lite." in str(home["body"])  # the browser compiles the specs


def test_the_cli_names_the_missing_extra(without_extras: dict[str, dict[str, object]]) -> None:
    cli = without_extras["cli"]
    assert cli["status"] == 2
    assert "ardoise[scolarite]" in str(cli["body"]).replace("\n", "")
