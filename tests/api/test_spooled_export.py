"""The whole-dataset Parquet export is written once per release, then streamed from that
file (issue #14): the same bytes as the export computed for the request, and computed again
when the file was removed or changed."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from ardoise.api.exports import _spooled, _whole
from ardoise.exporters.spool import file_chunks, spool
from ardoise.query.model import RecordsQuery
from ardoise.settings import Settings

E = "/api/explore/v2.1/catalog/datasets"
DATASET = "test-ips-ecoles"


def _files(settings: Settings) -> list[Path]:
    return sorted((settings.cache_dir / "exports").glob(f"*/{DATASET}.parquet"))


def test_whole_parquet_export_is_the_computed_one_and_kept_in_a_file(
    client: httpx.Client, api_settings: Settings
) -> None:
    # computed for the request: a filter that keeps every row is not "the whole dataset"
    computed = client.get(f"{E}/{DATASET}/exports/parquet", params={"where": "true"})
    first = client.get(f"{E}/{DATASET}/exports/parquet")
    again = client.get(f"{E}/{DATASET}/exports/parquet", params={"timezone": "Europe/Paris"})
    assert computed.status_code == first.status_code == again.status_code == 200
    assert first.content == computed.content == again.content
    assert first.headers["content-type"] == computed.headers["content-type"]
    assert pq.read_table(io.BytesIO(first.content)).num_rows > 0
    [file] = _files(api_settings)
    assert file.read_bytes() == first.content
    # a file that is not the one written is never served: the export is computed anew
    file.write_bytes(b"PAR1 damaged")
    assert client.get(f"{E}/{DATASET}/exports/parquet").content == computed.content
    file.unlink()
    assert client.get(f"{E}/{DATASET}/exports/parquet").content == computed.content


def test_filtered_exports_and_other_formats_are_never_kept(
    client: httpx.Client, api_settings: Settings
) -> None:
    before = _files(api_settings)
    r = client.get(f"{E}/{DATASET}/exports/parquet", params={"where": "ips > 90"})
    assert r.status_code == 200
    assert pq.read_table(io.BytesIO(r.content)).column("ips").to_pylist()
    assert all(v > 90 for v in pq.read_table(io.BytesIO(r.content)).column("ips").to_pylist())
    client.get(f"{E}/{DATASET}/exports/csv")
    assert _files(api_settings) == before
    assert not list((api_settings.cache_dir / "exports").glob("*/*.csv"))


@pytest.mark.parametrize(
    ("query", "whole"),
    [
        (RecordsQuery(), True),
        (RecordsQuery(lang="fr", timezone="Europe/Paris"), True),
        (RecordsQuery(where="true"), False),
        (RecordsQuery(select="uai"), False),
        (RecordsQuery(limit=10), False),
        (RecordsQuery(order_by="uai"), False),
        (RecordsQuery(refine=(("secteur", "public"),)), False),
        (RecordsQuery(territoire=("departement", "75")), False),
    ],
)
def test_whole_means_every_row_and_field(query: RecordsQuery, whole: bool) -> None:
    assert _whole(query) is whole


def test_spool_leaves_no_file_when_the_export_fails(tmp_path: Path) -> None:
    def failing() -> object:
        yield b"half"
        raise RuntimeError("query interrupted")

    with pytest.raises(RuntimeError):
        spool(tmp_path / "x.parquet", failing())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    done = spool(tmp_path / "x.parquet", [b"a" * 3_000_000, b"b"])
    assert b"".join(file_chunks(done)) == b"a" * 3_000_000 + b"b"
    other = tmp_path / "other"
    other.write_bytes(b"a" * 3_000_001)  # same size, other bytes, put in its place
    other.replace(tmp_path / "x.parquet")
    with pytest.raises(OSError, match="changed"):
        file_chunks(done)
    done = spool(tmp_path / "x.parquet", [b"abc"])
    (tmp_path / "x.parquet").write_bytes(b"ab")  # truncated
    with pytest.raises(OSError, match="changed"):
        file_chunks(done)
    (tmp_path / "x.parquet").unlink()
    with pytest.raises(OSError):
        file_chunks(done)


class _Release:
    """What ``_spooled`` reads of a served release (a memo that computes every time)."""

    def __init__(self, cache_dir: Path, release_id: str) -> None:
        self.cache_dir, self.id = cache_dir, release_id

    def memo(self, key: object, compute: Callable[[], object]) -> object:
        return compute()


def test_the_first_file_of_a_release_removes_those_of_earlier_releases(tmp_path: Path) -> None:
    stale = tmp_path / "exports" / "r1"
    stale.mkdir(parents=True)
    (stale / "d.parquet").write_bytes(b"an earlier release's file")
    release: Any = _Release(tmp_path, "r2")
    chunks = _spooled(release, "d", "parquet", iter([b"PAR1", b"..."]), lambda: iter([b"x"]))
    assert b"".join(chunks) == b"PAR1..."
    assert [p.name for p in (tmp_path / "exports").iterdir()] == ["r2"]
    # a cache that cannot be written (a file where the folder goes): streamed anew
    (tmp_path / "exports" / "r2").rename(tmp_path / "gone")
    (tmp_path / "exports" / "r2").write_bytes(b"")
    assert b"".join(_spooled(release, "d", "parquet", iter([b"a"]), lambda: iter([b"b"]))) == b"b"
