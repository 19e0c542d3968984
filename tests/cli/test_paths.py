"""Default paths come from the working directory (as the README says), not from the source
tree; a var directory that cannot be written gives a French message and exit code 3
(issue #21)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ardoise.cli import UNWRITABLE, app
from ardoise.settings import Settings, load_settings
from ardoise.web.serving import resolved_paths
from tests.cli.test_bad_input import _env


def test_default_paths_follow_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    here = tmp_path.resolve()
    assert settings.var_dir.resolve() == here / "var"
    assert settings.node_modules.resolve() == here / "node_modules"
    assert settings.mirror.resolve() == here.parent / "shared" / "data" / "raw"
    assert settings.current_link.resolve() == here / "var" / "current"
    assert settings.var_dir.is_absolute() and settings.node_modules.is_absolute()
    relative = load_settings(environ={"ARDOISE_VAR_DIR": "ailleurs/var"})
    assert relative.var_dir.resolve() == here / "ailleurs" / "var"
    lines = resolved_paths(settings)  # what `ardoise serve` prints at start
    assert [line.rsplit(" : ", 1)[1] for line in lines] == [
        str(here / "var"),
        str(here.parent / "shared" / "data" / "raw"),
        str(here / "node_modules"),
    ]


def test_an_unwritable_var_directory_is_a_clear_error(fixture_settings: Settings) -> None:
    # root ignores file modes: a regular file where the var directory should be does not
    fixture_settings.var_dir.parent.mkdir(parents=True, exist_ok=True)
    fixture_settings.var_dir.write_text("pas un dossier")
    runner = CliRunner()
    for command in (["ingest"], ["rollback", "20260101T000000Z-00000000"]):
        r = runner.invoke(app, command, env=_env(fixture_settings))
        assert r.exit_code == UNWRITABLE == 3, (command, r.output, r.exception)
        assert "Impossible d'écrire" in r.output and "Traceback" not in r.output
    assert os.path.isfile(fixture_settings.var_dir)
