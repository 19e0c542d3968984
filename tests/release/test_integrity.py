"""Rollback and publish verify every hashed file against the manifest before switching
(issue #21: a truncated or bit-flipped Parquet was made current and everything failed)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.errors import ReleaseCorrupt
from ardoise.release.build import build_release
from ardoise.release.integrity import hashed_files
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from tests.cli.test_bad_input import _env
from tests.fixtures import fake_referential


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _remove(path: Path) -> None:
    path.unlink()


def _two_releases(settings: Settings) -> tuple[str, str]:
    first = build_release(settings, build_referential_fn=fake_referential).release_id
    (settings.mirror / "latin" / "effectifs.csv").write_bytes(
        "Session;Académie;Effectif;Taux\n2023;LYON;1;2\n".encode("latin-1")
    )
    second = build_release(settings, build_referential_fn=fake_referential).release_id
    assert first and second and first != second
    return first, second


def _break(release_dir: Path, relative: str, breaker: Callable[[Path], None]) -> None:
    """Break one file of a (read-only) release, as a disk or an operator would."""
    path = release_dir / relative
    # a file shared with the other release by a hard link is replaced, not edited in place
    copy = path.read_bytes()
    os.chmod(path.parent, stat.S_IRWXU)
    path.unlink()
    path.write_bytes(copy)
    breaker(path)


@pytest.mark.parametrize(
    "breaker", [_truncate, _flip, _remove], ids=["tronque", "inverse", "absent"]
)
def test_rollback_refuses_a_corrupt_release(
    fixture_settings: Settings, breaker: Callable[[Path], None]
) -> None:
    first, second = _two_releases(fixture_settings)
    store = ReleaseStore(fixture_settings.var_dir)
    manifest = store.manifest(first)
    parquet = sorted(f for f in hashed_files(manifest) if f.endswith(".parquet"))[0]
    _break(fixture_settings.releases_dir / first, parquet, breaker)
    r = CliRunner().invoke(app, ["rollback", first], env=_env(fixture_settings))
    assert r.exit_code == 2, r.output
    assert "corrompue" in r.output or "incomplète" in r.output
    assert parquet in r.output and str(fixture_settings.var_dir) not in r.output
    assert store.current_id() == second  # the served release did not change


def test_indicator_files_are_verified_too(fixture_settings: Settings) -> None:
    first, _second = _two_releases(fixture_settings)
    store = ReleaseStore(fixture_settings.var_dir)
    indicators = [f for f in hashed_files(store.manifest(first)) if f.startswith("indicators/")]
    if not indicators:
        pytest.skip("la release de test n'a pas de fichier d'indicateurs")
    _break(fixture_settings.releases_dir / first, indicators[0], _flip)
    with pytest.raises(ReleaseCorrupt, match="empreinte"):
        store.switch(first)


def test_referential_files_are_verified_too(fixture_settings: Settings) -> None:
    """The territorial referential of a release is hashed in its manifest: a flipped byte in
    it is refused like one in a dataset (it used to be checked only by the object store)."""
    first, second = _two_releases(fixture_settings)
    store = ReleaseStore(fixture_settings.var_dir)
    referential = sorted(
        f for f in hashed_files(store.manifest(first)) if f.startswith("referential/")
    )
    assert referential, "the fixture release hashes its referential"
    _break(fixture_settings.releases_dir / first, referential[0], _flip)
    with pytest.raises(ReleaseCorrupt, match="empreinte"):
        store.switch(first)
    assert store.current_id() == second


def test_an_intact_release_is_switched_to(fixture_settings: Settings) -> None:
    first, _second = _two_releases(fixture_settings)
    store = ReleaseStore(fixture_settings.var_dir)
    store.switch(first)
    assert store.current_id() == first
