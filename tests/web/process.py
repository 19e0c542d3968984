"""``ardoise serve`` as its users start it: a separate process on a free loopback port,
its output (uvicorn's access and error logs, the app's log) collected in a file."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from ardoise.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Served:
    port: int
    pid: int
    log: Path  # stdout and stderr of the process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """The resident memory of the server process (VmRSS, KiB)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("VmRSS introuvable")

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_process(settings: Settings, log: Path, **env: str) -> Iterator[Served]:
    """Run ``python -m ardoise.cli serve`` over ``settings``' folders until the block ends."""
    port = _free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")},
        "PYTHONPATH": str(ROOT / "src"),
        "ARDOISE_VAR_DIR": str(settings.var_dir),
        "ARDOISE_MIRROR": str(settings.mirror),
        "ARDOISE_CATALOG_DIR": str(settings.catalog_dir),
        "ARDOISE_NODE_MODULES": str(settings.node_modules),
        "ARDOISE_HOST": "127.0.0.1",
        "ARDOISE_PORT": str(port),
        **env,
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ardoise.cli", "serve"],
            env=environ,
            cwd=settings.var_dir.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120  # a loaded 2-core machine
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ardoise serve n'a pas démarré : {log.read_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                        break
                time.sleep(0.2)
            yield Served(port, proc.pid, log)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
