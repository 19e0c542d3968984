"""Bad input never breaks what is published: each broken source gives a clear report, a
non-zero exit, and the current release is still served unchanged (issue #2)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings


def _env(settings: Settings) -> dict[str, str]:
    return {
        "ARDOISE_MIRROR": str(settings.mirror),
        "ARDOISE_VAR_DIR": str(settings.var_dir),
        "ARDOISE_CATALOG_DIR": str(settings.catalog_dir),
        # no node_modules: the referential is skipped, which keeps these tests fast
        "ARDOISE_NODE_MODULES": str(settings.var_dir / "no-node-modules"),
        "COLUMNS": "200",
    }


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: data.rindex(b";", 0, len(data) - 3)])  # cut inside the last line


def _latin1(p: Path) -> None:
    p.write_bytes(p.read_bytes().decode("utf-8-sig").encode("latin-1"))


def _drop_column(p: Path) -> None:
    lines = p.read_bytes().decode("utf-8-sig").splitlines()
    p.write_text("\n".join(";".join(line.split(";")[:-1]) for line in lines) + "\n")


def _duplicate_header(p: Path) -> None:
    lines = p.read_bytes().decode("utf-8-sig").splitlines()
    header = lines[0].split(";")
    header[3] = header[2]  # "UAI" twice
    p.write_text("\n".join([";".join(header), *lines[1:]]) + "\n")


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _binary(p: Path) -> None:
    p.write_bytes(bytes(range(256)) * 64)


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "tronque": (_truncate, "n'ont pas 7 colonnes"),
    "encodage": (_latin1, "n'est pas en UTF-8"),
    "colonne-manquante": (_drop_column, "'ips'"),
    "entete-en-double": (_duplicate_header, "en-tête en double"),
    "vide": (_empty, "est vide"),
    "binaire": (_binary, "octets nuls"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_source_is_refused_and_the_release_kept(
    fixture_settings: Settings, case: str
) -> None:
    runner = CliRunner()
    env = _env(fixture_settings)
    first = runner.invoke(app, ["ingest"], env=env)
    assert first.exit_code == 0, first.output
    store = ReleaseStore(fixture_settings.var_dir)
    before = store.current_id()
    assert before is not None
    served = fixture_settings.var_dir / "current" / "data" / "test-ips-ecoles.parquet"
    data_before = served.read_bytes()

    breaker, expected = CASES[case]
    breaker(fixture_settings.mirror / "ips" / "ecoles.csv")
    result = runner.invoke(app, ["ingest"], env=env)
    assert result.exit_code == 1, result.output
    assert expected in result.output.replace("\n", " ")
    assert "test-ips-ecoles" in result.output
    assert "Traceback" not in result.output
    assert store.current_id() == before  # nothing else changed: nothing new to publish
    assert served.read_bytes() == data_before

    check = runner.invoke(app, ["check", "--only", "test-ips-ecoles"], env=env)
    assert check.exit_code == 1 and expected in check.output.replace("\n", " ")


def test_declared_latin1_is_read(fixture_settings: Settings) -> None:
    result = CliRunner().invoke(
        app, ["check", "--only", "test-effectifs-latin1"], env=_env(fixture_settings)
    )
    assert result.exit_code == 0, result.output


def test_unknown_dataset_and_missing_mirror_are_clear_errors(fixture_settings: Settings) -> None:
    runner = CliRunner()
    env = _env(fixture_settings)
    r = runner.invoke(app, ["ingest", "--only", "fr-en-nexiste-pas"], env=env)
    assert r.exit_code == 2 and "Jeu(x) de données inconnu(s)" in r.output
    r = runner.invoke(app, ["ingest", "--mirror", "/nulle/part"], env=env)
    assert r.exit_code == 2 and "n'existe pas" in r.output
    r = runner.invoke(app, ["rollback", "20000101T000000Z-x"], env=env)
    assert r.exit_code == 2 and "Release inconnue" in r.output
    assert not os.path.exists(fixture_settings.var_dir / "current")
