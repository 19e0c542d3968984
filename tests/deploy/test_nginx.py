"""deploy/nginx.conf (issue #17) as written, on loopback in front of two replicas: a
replica that dies costs readers nothing (proxy_next_upstream), assets are served by nginx
with immutable caching, answers are compressed. Skipped without nginx (Debian: nginx-light,
installed by scripts/deploy-tools.sh)."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ardoise.release.build import build_release
from ardoise.settings import Settings
from tests.fixtures import fake_referential
from tests.web.live import live_server

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
RECORDS = "/api/explore/v2.1/catalog/datasets/test-ips-ecoles/records?limit=20"

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx absent (apt-get install nginx-light)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp: Path, replicas: list[int], port: int, var_dir: Path) -> Path:
    """deploy/nginx.conf with this test's ports and folders, in a minimal main file."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    lines = [f"    server 127.0.0.1:{p} max_fails=0;" for p in replicas]
    start, end = site.index("    server 127.0.0.1:8001"), site.index("    keepalive")
    site = site[:start] + "\n".join(lines) + "\n" + site[end:]
    site = site.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    site = site.replace("/var/lib/ardoise", str(var_dir))
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    # as root (CI), workers stay root: the test's folders are private to their owner
    user = "user root; " if os.geteuid() == 0 else ""
    main.write_text(
        f"{user}pid {tmp}/nginx.pid; error_log {tmp}/error.log; daemon off; events {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp}/body; "
        f"proxy_temp_path {tmp}/proxy; include {tmp}/site.conf; }}\n"
    )
    return main


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (nginx's fast shutdown: the master stops its workers), then wait."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


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
        (tmp_path / "nginx").mkdir()
        conf = _config(tmp_path / "nginx", [p1, p2], front, settings.var_dir)
        assert subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True).returncode == 0  # type: ignore[list-item]
        proc = subprocess.Popen([NGINX, "-c", str(conf)], stderr=subprocess.DEVNULL)  # type: ignore[list-item]
        stack.callback(_stop, proc)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", front), timeout=1).close()
                break
            assert time.monotonic() < deadline, "nginx n'a pas démarré"
            time.sleep(0.1)
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
