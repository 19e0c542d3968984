"""The preview of a submission (issue #15): schema diff with the served version, row diff on
the declared key with samples, and the national indicators that change and by how much."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from ardoise.controlplane.preview import indicator_changes
from ardoise.controlplane.submissions import SubmissionState, submit
from ardoise.settings import Settings
from tests.controlplane.jobs import validated
from tests.controlplane.test_submissions import IPS, _edited_ips, _people, cp, published

__all__ = ["cp", "published"]


def test_a_revised_value_is_previewed(published: Settings, cp: Engine) -> None:
    submitter, _ = _people(cp)
    s = submit(cp, published, submitter, IPS, io.BytesIO(_edited_ips(published)), "ecoles.csv")
    s = validated(cp, published, s)
    assert s.state is SubmissionState.A_RELIRE
    preview = s.report["apercu"]
    assert preview["schema"] == {"ajoutes": [], "retires": [], "retypes": []}
    rows = preview["lignes"]
    assert (rows["ajoutees"], rows["retirees"], rows["modifiees"]) == (0, 0, 1)
    assert len(rows["exemples_modifiees"]) == 1
    assert preview["lignes_avant"] == preview["lignes_apres"]


def test_added_and_removed_rows_are_previewed(published: Settings, cp: Engine) -> None:
    submitter, _ = _people(cp)
    lines = (published.mirror / "ips" / "ecoles.csv").read_text("utf-8").splitlines()
    gone = lines[1].split(";")[2]  # the UAI of the first row
    edited = [lines[0], *lines[2:], "2022-2023;035;0359999X;ECOLE NOUVELLE;35012;public;101.5"]
    data = ("\n".join(edited) + "\n").encode("utf-8")
    s = validated(
        cp, published, submit(cp, published, submitter, IPS, io.BytesIO(data), "ecoles.csv")
    )
    rows = s.report["apercu"]["lignes"]
    assert (rows["ajoutees"], rows["retirees"], rows["modifiees"]) == (1, 1, 0)
    assert rows["exemples_ajoutees"] == ["2022-2023 · 0359999X"]
    assert rows["exemples_retirees"] == [f"2022-2023 · {gone}"]


def test_national_indicator_changes(tmp_path: Path) -> None:
    def values(path: Path, rows: list[tuple[str, str, str, float]]) -> Path:
        table = pa.table(
            {
                "indicateur": [r[0] for r in rows],
                "niveau": [r[1] for r in rows],
                "annee_scolaire": [r[2] for r in rows],
                "valeur": [r[3] for r in rows],
            }
        )
        pq.write_table(table, path)
        return path

    before = values(tmp_path / "a.parquet", [
        ("ips_moyen_ecoles", "france", "2023-2024", 103.0),
        ("ips_moyen_ecoles", "region", "2023-2024", 90.0),
        ("nb_ecoles_ips", "france", "2023-2024", 45000.0),
    ])  # fmt: skip
    after = values(tmp_path / "b.parquet", [
        ("ips_moyen_ecoles", "france", "2023-2024", 103.25),
        ("ips_moyen_ecoles", "region", "2023-2024", 95.0),  # not national: not listed
        ("nb_ecoles_ips", "france", "2023-2024", 45000.0),  # unchanged
    ])  # fmt: skip
    assert indicator_changes(before, after) == [
        {
            "indicateur": "ips_moyen_ecoles",
            "annee_scolaire": "2023-2024",
            "avant": 103.0,
            "apres": 103.25,
            "ecart": 0.25,
        }
    ]
    assert indicator_changes(tmp_path / "absent.parquet", after) == []
