from __future__ import annotations

from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.settings import Settings
from tests.cli.test_bad_input import _env


def test_ingest_releases_rollback(fixture_settings: Settings) -> None:
    runner = CliRunner()
    env = _env(fixture_settings)
    r = runner.invoke(app, ["releases"], env=env)
    assert r.exit_code == 0 and "Aucune release" in r.output
    r = runner.invoke(app, ["ingest"], env=env)
    assert r.exit_code == 0, r.output
    assert "publiée et servie" in r.output and "test-ips-ecoles" in r.output
    first = r.output.split("Release ")[1].split(" ")[0]
    (fixture_settings.mirror / "latin" / "effectifs.csv").write_bytes(
        "Session;Académie;Effectif;Taux\n2023;LYON;1;2\n".encode("latin-1")
    )
    r = runner.invoke(app, ["ingest", "--only", "test-effectifs-latin1"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["releases"], env=env)
    assert r.exit_code == 0 and first in r.output and r.output.count("●") == 1
    r = runner.invoke(app, ["rollback", first], env=env)
    assert r.exit_code == 0 and f"La release {first} est maintenant servie" in r.output
    r = runner.invoke(app, ["has-release"], env=env)
    assert r.exit_code == 0
