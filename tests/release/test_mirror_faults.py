"""Faults on a copy of the real mirror: broken sources and a SIGKILL mid-ingest (issue #2).

Skipped where the mirror is absent. The real release is built once per session.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.release.build import BuildResult
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = "m-bouville-predict-elec/fr-en-calendrier-scolaire.csv"
CALENDAR_ID = "fr-en-calendrier-scolaire"

pytestmark = pytest.mark.mirror


def _copy_mirror(mirror: Path, dest: Path) -> Path:
    """A copy of the mirror made of symlinks (instant), safe to break file by file."""
    shutil.copytree(mirror, dest, symlinks=True, copy_function=os.symlink)
    return dest


def _copy_var(var: Path, dest: Path) -> Path:
    subprocess.run(["cp", "-a", "--link", str(var), str(dest)], check=True)
    return dest


def _replace(path: Path, data: bytes) -> None:
    path.unlink()
    path.write_bytes(data)


def _env(mirror: Path, var: Path) -> dict[str, str]:
    return {"ARDOISE_MIRROR": str(mirror), "ARDOISE_VAR_DIR": str(var), "COLUMNS": "200"}


BREAKERS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "tronque": (lambda b: b[: len(b) // 2], "fichier tronqué"),
    "encodage": (
        lambda b: b.decode("utf-8-sig").encode("cp1252", errors="replace"),
        "n'est pas en UTF-8",
    ),
    "colonne-manquante": (lambda b: b.replace(b";zones;", b";;", 1), "'zones'"),
    "entete-en-double": (lambda b: b.replace(b";zones;", b";location;", 1), "en-tête en double"),
    "vide": (lambda b: b"", "est vide"),
    "binaire": (lambda b: b"PK\x03\x04" + bytes(range(256)) * 16, "octets nuls"),  # a zip
}


@pytest.mark.parametrize("case", sorted(BREAKERS))
def test_broken_real_source_keeps_the_release(
    real_release: tuple[Settings, BuildResult], tmp_path: Path, case: str
) -> None:
    settings, result = real_release
    mirror = _copy_mirror(settings.mirror, tmp_path / "mirror")
    var = _copy_var(settings.var_dir, tmp_path / "var")
    breaker, expected = BREAKERS[case]
    source = mirror / CALENDAR
    _replace(source, breaker((settings.mirror / CALENDAR).read_bytes()))
    before = (var / "current" / "data" / f"{CALENDAR_ID}.parquet").read_bytes()

    out = CliRunner().invoke(app, ["ingest", "--only", CALENDAR_ID], env=_env(mirror, var))
    assert out.exit_code == 1, out.output
    text = out.output.replace("\n", " ")
    assert expected in text and CALENDAR_ID in text and "Traceback" not in text
    assert ReleaseStore(var).current_id() == result.release_id
    assert (var / "current" / "data" / f"{CALENDAR_ID}.parquet").read_bytes() == before


def test_sigkill_mid_ingest_leaves_no_partial_release(
    real_release: tuple[Settings, BuildResult], tmp_path: Path
) -> None:
    settings, result = real_release
    mirror = _copy_mirror(settings.mirror, tmp_path / "mirror")
    var = _copy_var(settings.var_dir, tmp_path / "var")
    # A real change, so that the interrupted ingest would have published something.
    _replace(
        mirror / CALENDAR,
        (settings.mirror / CALENDAR).read_bytes()
        + b"Vacances de test;-;2030-10-20T22:00:00+00:00;2030-11-05T23:00:00+00:00;"
        b"Lyon;Zone A;2030-2031\n",
    )
    env = dict(os.environ, **_env(mirror, var))
    cmd = [sys.executable, "-m", "ardoise.cli", "ingest"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    builds: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        builds = list((var / "releases").glob(".build-*/data/*.parquet"))
        if builds:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "l'ingestion s'est terminée avant d'avoir pu être tuée"
    assert builds, "aucun dossier de construction observé"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    store = ReleaseStore(var)
    assert store.current_id() == result.release_id
    assert [r.id for r in store.list()] == [result.release_id]
    assert list((var / "releases").glob(".build-*"))  # left behind, but never listed

    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not list((var / "releases").glob(".build-*"))
    new = store.current_id()
    assert new != result.release_id and [r.id for r in store.list()][-1] == new
