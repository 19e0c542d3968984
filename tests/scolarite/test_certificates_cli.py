"""``ardoise scolarite certificat`` and ``certificat-verifier``: issue a PDF, check it, and
see it refused once the pupil has left or when its signed document is altered."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.schema import eleves
from tests.scolarite.test_certificates import PUPILS, _row


@pytest.fixture
def var(tmp_path: Path) -> Path:
    engine = make_engine(f"sqlite:///{tmp_path / 'scolarite.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(eleves.insert(), [_row(p) for p in PUPILS])
    engine.dispose()
    return tmp_path


def _run(var: Path, *args: str) -> tuple[int, str]:
    env = {"ARDOISE_VAR_DIR": str(var), "ARDOISE_MIRROR": str(var / "none"), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["scolarite", *args], env=env)
    return result.exit_code, result.output


def test_issue_verify_tamper_and_revoke(var: Path) -> None:
    pdf = var / "certificat.pdf"
    code, output = _run(var, "certificat", "--identifiant", "0000000001A", "--sortie", str(pdf))
    assert code == 0, output
    assert "SYNTHÉTIQUE" in output and "/verifier/" in output
    code, output = _run(var, "certificat-verifier", str(pdf))
    assert code == 0, output
    assert "authentique et valide" in output

    data = pdf.read_bytes()
    start = data.index(b"/Keywords (") + len(b"/Keywords (") + 20
    flipped = data[:start] + (b"B" if data[start : start + 1] != b"B" else b"C") + data[start + 1 :]
    (var / "altere.pdf").write_bytes(flipped)
    code, output = _run(var, "certificat-verifier", str(var / "altere.pdf"))
    assert code == 1 and "falsifié" in output

    engine = make_engine(f"sqlite:///{var / 'scolarite.db'}")
    with engine.begin() as conn:
        conn.execute(
            update(eleves)
            .where(eleves.c.identifiant == "0000000001A")
            .values(date_sortie=date(2024, 1, 1))
        )
    engine.dispose()
    code, output = _run(var, "certificat-verifier", str(pdf))
    assert code == 1 and "révoqué" in output
    code, output = _run(
        var, "certificat", "--identifiant", "0000000001A", "--sortie", str(var / "b.pdf")
    )
    assert code == 1 and "n'est plus inscrit" in output


def test_unknown_pupil_and_foreign_file(var: Path) -> None:
    code, output = _run(
        var, "certificat", "--identifiant", "nobody", "--sortie", str(var / "c.pdf")
    )
    assert code == 1 and "Aucune inscription" in output
    (var / "autre.pdf").write_bytes(b"%PDF-1.4 nothing here")
    code, output = _run(var, "certificat-verifier", str(var / "autre.pdf"))
    assert code == 2 and "n'est pas un certificat" in output
    code, output = _run(var, "certificat-verifier", "pas-un-document")
    assert code == 1 and "falsifié" in output
