"""A small export is answered whole, with its length (issue #17: its bytes leave in one write,
so a replica killed mid-answer cannot cut it); a larger one streams as it is written, with
the same bytes."""

from __future__ import annotations

import httpx
import pytest

from ardoise.api import exports

E = "/api/explore/v2.1/catalog/datasets"


@pytest.mark.parametrize("fmt", ["csv", "json", "geojson", "parquet"])
def test_a_small_export_has_its_length(client: httpx.Client, fmt: str) -> None:
    dataset = "test-points" if fmt == "geojson" else "test-ips-ecoles"
    r = client.get(f"{E}/{dataset}/exports/{fmt}", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and len(r.content) > 10
    assert r.headers["content-length"] == str(len(r.content))
    assert "chunked" not in r.headers.get("transfer-encoding", "")
    # compressed by the app, still whole: the length is the compressed one
    zipped = client.get(f"{E}/{dataset}/exports/{fmt}", headers={"Accept-Encoding": "gzip"})
    assert zipped.content == r.content and "content-length" in zipped.headers


def test_a_larger_export_streams_the_same_bytes(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = {"Accept-Encoding": "identity"}
    whole = client.get(f"{E}/test-ips-ecoles/exports/csv", headers=identity).content
    monkeypatch.setattr(exports, "WHOLE_EXPORT_BYTES", 1)
    # (another URL for the same rows: the first answer is in the response cache)
    r = client.get(f"{E}/test-ips-ecoles/exports/csv?select=*", headers=identity)
    assert r.status_code == 200 and r.content == whole
    assert "content-length" not in r.headers
