"""Bad input and faults around a submission (issue #15, the bullets that had no test of
their own): wrong encoding, truncated file, XLSX bomb (each a French report, nothing
published); formula cells neutralised in our CSV export once published; readers of a
running server see no error while an approval publishes; a crash in the middle of a
publication leaves the previous release served and the submission resumable."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from ardoise.controlplane.declarations import declare
from ardoise.controlplane.errors import ControlPlaneError
from ardoise.controlplane.organisations import create_organisation
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.submissions import SubmissionState, approve
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.controlplane.jobs import submitted
from tests.controlplane.test_declarations import DESCRIPTOR, NEW
from tests.controlplane.test_submissions import IPS, _edited_ips, _people, cp, published
from tests.controlplane.test_submit_url import second_ardoise

__all__ = ["cp", "published"]


def _blocking(report: dict[str, object]) -> list[str]:
    issues = report.get("issues", [])
    assert isinstance(issues, list)
    return [str(i["message"]) for i in issues if i.get("severity") == "bloquant"]


def test_wrong_encoding_and_truncated_files_get_a_report_and_publish_nothing(
    published: Settings, cp: Engine
) -> None:
    store = ReleaseStore(published.var_dir)
    before = store.current_id()
    submitter, reviewer = _people(cp)
    text = _edited_ips(published).decode("utf-8").lstrip("\ufeff")
    latin = text.replace("ECOLE LA GUEDELAIS", "ÉCOLE LA GUÉDELAIS").encode("latin-1")
    s = submitted(cp, published, submitter, IPS, io.BytesIO(latin), "ecoles.csv")
    messages = " ".join(str(i["message"]) for i in s.report["issues"])
    assert s.state is SubmissionState.BLOQUEE and "UTF-8" in messages, s.report
    cut = _edited_ips(published)[: len(_edited_ips(published)) // 2]  # cut mid-row
    t = submitted(cp, published, submitter, IPS, io.BytesIO(cut), "ecoles.csv")
    assert t.state is SubmissionState.BLOQUEE
    assert any("fichier tronqué" in m for m in _blocking(t.report)), t.report
    with pytest.raises(ControlPlaneError, match="bloquants"):
        approve(cp, published, reviewer, s.id)
    assert store.current_id() == before


def test_an_xlsx_bomb_is_refused_before_it_inflates(published: Settings, cp: Engine) -> None:
    with cp.begin() as conn:
        create_organisation(conn, OPERATOR, id="region-84", name="Région",
                            siret="23690001900019", type="region")  # fmt: skip
    declare(cp, published, OPERATOR, "region-84", DESCRIPTOR.replace("repas.csv", "repas.xlsx"))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (101 << 20))
    bomb.seek(0)
    s = submitted(cp, published, OPERATOR, NEW, bomb, "repas.xlsx")
    assert s.state is SubmissionState.BLOQUEE
    assert any("bombe de décompression" in m for m in _blocking(s.report)), s.report


def test_formula_cells_are_neutralised_in_our_exports(published: Settings, cp: Engine) -> None:
    submitter, reviewer = _people(cp)
    data = _edited_ips(published).replace(b"ECOLE DIWAN", b"=1+1")
    s = submitted(cp, published, submitter, IPS, io.BytesIO(data), "ecoles.csv")
    assert approve(cp, published, reviewer, s.id).state is SubmissionState.PUBLIEE
    with TestClient(create_app(published)) as client:
        csv = client.get(f"/api/explore/v2.1/catalog/datasets/{IPS}/exports/csv").text
    assert "'=1+1" in csv and ";=1+1" not in csv


def test_readers_get_no_error_while_an_approval_publishes(published: Settings, cp: Engine) -> None:
    submitter, reviewer = _people(cp)
    s = submitted(cp, published, submitter, IPS, io.BytesIO(_edited_ips(published)), "ecoles.csv")
    statuses: list[int] = []
    done = threading.Event()
    with second_ardoise(published) as portal:

        def read() -> None:
            with httpx.Client(base_url=portal, timeout=30) as client:
                while not done.is_set():
                    r = client.get(f"/api/explore/v2.1/catalog/datasets/{IPS}/records")
                    statuses.append(r.status_code)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for t in readers:
            t.start()
        try:
            published_ = approve(cp, published, reviewer, s.id)
            with httpx.Client(base_url=portal, timeout=30) as client:  # the new figure, served
                deadline = time.monotonic() + 30  # once the portal has loaded the release
                while time.monotonic() < deadline:
                    answer = client.get(
                        f"/api/explore/v2.1/catalog/datasets/{IPS}/records",
                        params={"where": "ips=107.4"},
                    ).json()
                    if answer.get("total_count") == 1:
                        break
                    time.sleep(0.05)
        finally:
            done.set()
            for t in readers:
                t.join(30)
    assert published_.state is SubmissionState.PUBLIEE
    assert answer["total_count"] == 1
    assert len(statuses) > 10 and set(statuses) == {200}, set(statuses)


def test_a_crash_mid_publication_keeps_the_release_and_the_submission_resumable(
    published: Settings, cp: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ReleaseStore(published.var_dir)
    before = store.current_id()
    submitter, reviewer = _people(cp)
    s = submitted(cp, published, submitter, IPS, io.BytesIO(_edited_ips(published)), "ecoles.csv")

    def crash(self: ReleaseStore, build: object, release_id: str) -> None:
        raise OSError("disque plein (simulé)")

    with monkeypatch.context() as patch:
        patch.setattr(ReleaseStore, "commit_build", crash)
        with pytest.raises(ControlPlaneError, match=r"Publication impossible.*disque plein"):
            approve(cp, published, reviewer, s.id)
    assert store.current_id() == before  # the previous release is still served
    resumed = approve(cp, published, reviewer, s.id)
    assert resumed.state is SubmissionState.PUBLIEE and store.current_id() != before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_declared_dataset_takes_each_upload_format(
    published: Settings, cp: Engine, tmp_path: Path, suffix: str
) -> None:
    """CSV with ``,``, XLSX and Parquet versions of a declared dataset go through the same
    readers and are ready for review."""
    with cp.begin() as conn:
        create_organisation(conn, OPERATOR, id="region-84", name="Région",
                            siret="23690001900019", type="region")  # fmt: skip
    declare(cp, published, OPERATOR, "region-84", DESCRIPTOR.replace("repas.csv", f"repas{suffix}"))
    header = ["Rentrée scolaire", "Code du département", "Repas servis"]
    rows = [["2022-2023", "35", 120000], ["2022-2023", "69", 340000]]
    path = tmp_path / f"repas{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n")
    elif suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for r in [header, *rows]:
            sheet.append(r)
        book.save(path)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = list(zip(*rows, strict=True))
        pq.write_table(
            pa.table({h: [str(v) for v in c] for h, c in zip(header, columns, strict=True)}), path
        )
    with open(path, "rb") as stream:
        s = submitted(cp, published, OPERATOR, NEW, stream, path.name)
    assert s.state is SubmissionState.A_RELIRE, s.report
    assert s.report["rows"] == 2
