"""deploy/nginx.conf (issue #17) as written, on loopback in front of two replicas: a
replica that dies costs readers nothing (proxy_next_upstream), assets are served by nginx
with immutable caching, answers are compressed. Skipped without nginx (Debian: nginx-light,
installed by scripts/deploy-tools.sh)."""

from __future__ import annotations

import contextlib
import gzip
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ardoise.release.build import build_release
from ardoise.settings import Settings
from tests.deploy import nginx_site
from tests.fixtures import fake_referential
from tests.web.live import live_server

RECORDS = "/api/explore/v2.1/catalog/datasets/test-ips-ecoles/records?limit=20"

pytestmark = pytest.mark.skipif(
    nginx_site.NGINX is None, reason="nginx absent (apt-get install nginx-light)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:  # type: ignore[type-arg]
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_a_dead_replica_costs_nothing_and_assets_are_immutable(
    fixture_settings: Settings, tmp_path: Path
) -> None:
    settings = fixture_settings
    assert build_release(settings, build_referential_fn=fake_referential).published
    front = _free_port()
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(contextlib.ExitStack())
        (_, p1) = first.enter_context(live_server(settings))
        (_, p2) = stack.enter_context(live_server(settings))
        conf = nginx_site.render(tmp_path / "nginx", [p1, p2], front, settings.var_dir)
        stack.callback(nginx_site.stop, nginx_site.start(conf, front))
        before = [_get(front, RECORDS)[0] for _ in range(10)]
        first.close()  # one replica goes away: connections to it are refused
        after = [_get(front, RECORDS) for _ in range(10)]
        zipped = _get(front, RECORDS, {"Accept-Encoding": "gzip"})
        asset = next((settings.cache_dir / "static").glob("*.css"))
        static = _get(front, f"/static/{asset.name}")
    assert before == [200] * 10
    assert [a[0] for a in after] == [200] * 10 and all("x-ardoise-release" in a[1] for a in after)
    assert zipped[1].get("content-encoding") == "gzip" and gzip.decompress(zipped[2])
    assert static[0] == 200 and static[2] == asset.read_bytes()
    # served by nginx itself: no answer of the app's (which sets the release header)
    assert "immutable" in static[1]["cache-control"] and "x-ardoise-release" not in static[1]
