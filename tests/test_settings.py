"""The settings registry: one declaration per setting, booleans that are booleans, secrets
that are never printed, no test-only setting (issue #12, point 9)."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.errors import ConfigError
from ardoise.settings import SETTINGS, Secret, Settings, load_settings

PASSWORD = "motdepasse-tres-secret"
URL = f"postgresql://ardoise:{PASSWORD}@127.0.0.1:1/registre"


def test_the_registry_is_the_dataclass() -> None:
    declared = {f.name: (str(f.type), f.default) for f in fields(Settings)}
    assert {s.name: (s.kind, s.default) for s in SETTINGS} == declared
    assert all(s.help and s.kind in ("Path", "str", "int", "bool", "Secret") for s in SETTINGS)
    defaults = load_settings(environ={})
    for s in SETTINGS:
        # a relative default path is read against the working directory (issue #21)
        expected = Path(os.path.abspath(s.default)) if s.kind == "Path" else s.default
        assert getattr(defaults, s.name) == expected, s.name


def test_test_only_settings_are_not_in_the_registry() -> None:
    assert not [s.name for s in SETTINGS if s.name.startswith("test")]


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("0", False), ("true", True), ("False", False), ("oui", True), ("NON", False)],
)
def test_booleans_are_booleans(raw: str, value: bool) -> None:
    settings = load_settings(
        environ={"ARDOISE_ACCESS_LOG": raw, "ARDOISE_ALLOW_DOWNLOAD": raw}, query_materialize=raw
    )
    assert settings.access_log is value and settings.allow_download is value
    assert settings.query_materialize is value


def test_a_bad_value_is_a_french_config_error() -> None:
    with pytest.raises(ConfigError, match=r"ARDOISE_ACCESS_LOG.*booléen attendu"):
        load_settings(environ={"ARDOISE_ACCESS_LOG": "peut-être"})
    with pytest.raises(ConfigError, match=r"ARDOISE_PORT.*invalide"):
        load_settings(environ={"ARDOISE_PORT": "huit mille"})


def test_a_secret_is_never_printed() -> None:
    settings = load_settings(environ={"ARDOISE_SCOLARITE_DATABASE_URL": URL})
    assert settings.scolarite_database_url.reveal() == URL
    for text in (repr(settings), str(settings), f"{settings.scolarite_database_url}"):
        assert PASSWORD not in text and "127.0.0.1:1" not in text
    assert "**********" in repr(settings)
    assert settings.replace(port=9000).scolarite_database_url.reveal() == URL
    assert not Secret("") and str(Secret("")) == ""


def test_the_cli_never_prints_the_database_url(tmp_path: Path) -> None:
    env = {"ARDOISE_VAR_DIR": str(tmp_path / "var"), "ARDOISE_SCOLARITE_DATABASE_URL": URL}
    for command in (["scolarite", "etat"], ["scolarite", "jeton", "lister"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code != 0  # nothing listens on port 1
        assert PASSWORD not in result.output and "ardoise:" not in result.output


def test_the_cli_stops_on_a_bad_value_in_french() -> None:
    result = CliRunner().invoke(app, ["releases"], env={"ARDOISE_QUERY_MATERIALIZE": "bof"})
    assert result.exit_code == 2
    assert "ARDOISE_QUERY_MATERIALIZE" in result.output and "booléen attendu" in result.output
