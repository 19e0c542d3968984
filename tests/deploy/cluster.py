"""The processes of the end-to-end deployment test (issue #17), each on a free loopback port
and each stopped by the caller's ``ExitStack``: a PostgreSQL database of its own on the
test server, moto's S3 server, and Ardoise replicas (``ardoise serve`` processes, each with
its own var folder), started, stopped gracefully (SIGTERM), killed (SIGKILL) and restarted."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        if proc.poll() is not None:
            raise AssertionError(f"{what} s'est arrêté au démarrage (code {proc.returncode})")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} n'écoute pas sur {port} après {timeout} s")
        time.sleep(0.05)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh database on the test server (dropped at the end): the replicas' shared one."""
    import psycopg

    name = f"ardoise_deploy_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def s3_server(log: Path) -> Iterator[str]:
    """moto's S3 server in its own process; its endpoint URL."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_port(port, proc, "le serveur S3 (moto)")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def get_json(port: int, path: str, timeout: float = 5) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


@dataclass
class Replica:
    """One ``ardoise serve`` process on its port, with its own var folder."""

    name: str
    port: int
    var_dir: Path
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} tourne déjà"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ardoise.cli", "serve"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_port(self.port, self.proc, self.name)

    def served(self) -> str | None:
        """The release this replica serves, when ``/ready`` says it is ready; else None."""
        with contextlib.suppress(OSError, ValueError):
            status, body = get_json(self.port, "/ready")
            if status == 200:
                return str(body["verifications"]["release"]["detail"])
        return None

    def wait_serving(self, release: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.served() != release:
            assert self.proc is not None and self.proc.poll() is None, f"{self.name} est mort"
            assert time.monotonic() < deadline, f"{self.name} ne sert pas {release}"
            time.sleep(0.05)

    def terminate(self) -> bool:
        """SIGTERM and wait; whether the process shut down gracefully: uvicorn logged its
        last line (in-flight answers drained) and exited with 0 or the re-raised SIGTERM."""
        assert self.proc is not None
        pid = self.proc.pid
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        finished = f"Finished server process [{pid}]" in self.log.read_text(errors="replace")
        return finished and code in (0, -signal.SIGTERM)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


def replica_env(
    var_dir: Path, port: int, database_url: str, base: dict[str, str]
) -> dict[str, str]:
    """The environment of one replica: its var folder and port, the shared database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return {
        **env,
        **base,
        "ARDOISE_VAR_DIR": str(var_dir),
        "ARDOISE_PORT": str(port),
        "ARDOISE_HOST": "127.0.0.1",
        "ARDOISE_USAGE_DATABASE_URL": database_url,
        "ARDOISE_CONTROLPLANE_DATABASE_URL": database_url,
        "ARDOISE_TRUSTED_PROXIES": "127.0.0.1",
        "ARDOISE_ACCESS_LOG": "0",
        "ARDOISE_SHUTDOWN_SECONDS": "15",
    }
