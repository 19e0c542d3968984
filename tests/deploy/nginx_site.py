"""deploy/nginx.conf as written, rendered for a test: its upstream lines replaced by the
test's replica ports, its listen port and var folder by the test's, inside a minimal main
file (pid, logs and temporary folders in the test's own folder). Shared by the deployment
tests (test_nginx, test_end_to_end)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)


def render(tmp: Path, replicas: list[int], port: int, var_dir: Path) -> Path:
    """deploy/nginx.conf with these ports and folders; the main file's path."""
    tmp.mkdir(parents=True, exist_ok=True)
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
        f"{user}pid {tmp}/nginx.pid; error_log {tmp}/error.log; daemon off; "
        "worker_processes 1; events { worker_connections 1024; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp}/body; "
        f"proxy_temp_path {tmp}/proxy; include {tmp}/site.conf; }}\n"
    )
    return main


def start(conf: Path, port: int) -> subprocess.Popen[bytes]:
    """nginx in the foreground on ``conf`` (checked first with ``nginx -t``), once it accepts
    connections on ``port``."""
    assert NGINX is not None, "nginx absent (apt-get install nginx-light)"
    check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-c", str(conf)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        if time.monotonic() > deadline or proc.poll() is not None:
            stop(proc)
            raise AssertionError("nginx n'a pas démarré")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (nginx's fast shutdown: the master stops its workers), then wait."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
