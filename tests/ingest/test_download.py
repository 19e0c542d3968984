"""A dataset absent from the mirror is downloaded from its official URL when allowed."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ardoise.release.build import build_release
from ardoise.settings import Settings
from tests.fixtures import DESCRIPTORS, fake_referential, write_catalog


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def _settings_with_url(settings: Settings, url: str, allow: int) -> Settings:
    descriptors = [dict(d) for d in DESCRIPTORS if d["id"] == "test-effectifs-latin1"]
    descriptors[0].update(source_url=url, sources=[{"path": "absent/effectifs.csv"}])
    catalog = write_catalog(settings.catalog_dir.parent / "catalog-dl", descriptors)
    return settings.replace(catalog_dir=catalog, allow_download=allow)


def test_missing_mirror_file_is_downloaded(
    fixture_settings: Settings, server: tuple[str, Path]
) -> None:
    base, root = server
    (root / "export.csv").write_text("Session;Académie;Effectif;Taux\n2023;LYON;800;91.0\n")
    settings = _settings_with_url(fixture_settings, f"{base}/export.csv", allow=1)
    result = build_release(settings, build_referential_fn=fake_referential)
    assert result.ok and result.published, [o.report.issues for o in result.outcomes]
    table = pq.read_table(settings.var_dir / "current" / "data" / "test-effectifs-latin1.parquet")
    assert table.column("effectif").to_pylist() == [800]
    cached = list((settings.cache_dir / "downloads").rglob("export.csv"))
    assert len(cached) == 1


def test_download_off_or_failing_is_a_clear_blocking_issue(
    fixture_settings: Settings, server: tuple[str, Path]
) -> None:
    base, _root = server
    off = _settings_with_url(fixture_settings, f"{base}/export.csv", allow=0)
    result = build_release(off, build_referential_fn=fake_referential, publish=False)
    [outcome] = result.outcomes
    assert outcome.status == "bloque" and "introuvable dans le miroir" in (
        outcome.report.issues[0].message
    )
    failing = _settings_with_url(fixture_settings, f"{base}/nothere.csv", allow=1)
    result = build_release(failing, build_referential_fn=fake_referential, publish=False)
    [outcome] = result.outcomes
    assert outcome.status == "bloque"
    assert "Téléchargement impossible" in outcome.report.issues[0].message
    assert not list((failing.cache_dir / "downloads").rglob("*.part"))
