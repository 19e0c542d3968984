"""The load of the end-to-end deployment test (issue #17): wrk (Debian) on a Lua list of
URLs, its report as one JSON object (requests, latency, socket errors, and, counted per
thread by ``response()``, non-2xx answers and answers per release); and small Python
clients in parallel, each recording the ``X-Ardoise-Release`` of every answer it gets."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRK = shutil.which("wrk")

_LUA = """
local paths = {%(paths)s}
local n = 0
non2xx = 0
releases = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  local r = headers["x-ardoise-release"] or headers["X-Ardoise-Release"] or "-"
  releases[r] = (releases[r] or 0) + 1
end

function done(summary, latency, requests)
  local bad, seen = 0, {}
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    for r, c in pairs(t:get("releases")) do seen[r] = (seen[r] or 0) + c end
  end
  local parts = {}
  for r, c in pairs(seen) do table.insert(parts, string.format("%%q:%%d", r, c)) end
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%%d,"duration_us":%%d,"bytes":%%d,"connect":%%d,"read":%%d,' ..
    '"write":%%d,"status":%%d,"timeout":%%d,"p50_us":%%d,"p99_us":%%d,"max_us":%%d,' ..
    '"non_2xx":%%d,"releases":{%%s}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.max,
    bad, table.concat(parts, ",")))
end
"""


def wrk_script(paths: list[str], folder: Path) -> Path:
    """The Lua script: one URL after the other, per thread, and the JSON report."""
    script = folder / "mix.lua"
    script.write_text(_LUA % {"paths": ", ".join(json.dumps(p) for p in paths)})
    return script


def start_wrk(
    port: int, script: Path, seconds: int, connections: int, out: Path
) -> subprocess.Popen[bytes]:
    """wrk for ``seconds`` at most (SIGINT stops it sooner; it reports all the same);
    a request unanswered after 10 s counts as a timeout, a socket error."""
    assert WRK is not None, "wrk absent (apt-get install wrk)"
    command = [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    with out.open("wb") as sink:
        return subprocess.Popen(
            [*command, "-s", str(script), f"http://127.0.0.1:{port}"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def wrk_report(out: Path) -> dict[str, Any]:
    """wrk's report, from the JSON line its ``done()`` wrote."""
    text = out.read_text()
    line = next((x for x in text.splitlines() if x.startswith("WRK-JSON ")), None)
    assert line is not None, f"wrk n'a pas écrit son rapport :\n{text}"
    report: dict[str, Any] = json.loads(line.removeprefix("WRK-JSON "))
    return report


@dataclass(frozen=True)
class Answer:
    client: int
    sent: float  # time.monotonic() when the request was sent
    received: float
    status: int  # 0: no answer (socket error)
    release: str | None
    error: str | None = None


class ReleaseClient(threading.Thread):
    """One client (one keep-alive connection, reopened after an error) asking the URLs in
    turn until stopped, recording each answer's status and release."""

    def __init__(self, number: int, port: int, paths: list[str]) -> None:
        super().__init__(daemon=True, name=f"client-{number}")
        self.number, self.port, self.paths = number, port, paths
        self.answers: list[Answer] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        i = 0
        while not self.stopping.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            sent = time.monotonic()
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                answer = Answer(
                    self.number, sent, time.monotonic(), r.status, r.getheader("x-ardoise-release")
                )
            except (OSError, http.client.HTTPException) as exc:
                answer = Answer(self.number, sent, time.monotonic(), 0, None, repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.answers.append(answer)
            time.sleep(0.01)
        conn.close()


@dataclass(frozen=True)
class Switch:
    """A switch of every replica to ``release``: asked at ``started``, every replica
    serving it at ``completed`` (time.monotonic())."""

    release: str
    started: float
    completed: float


def stale_answers(answers: list[Answer], switches: list[Switch]) -> list[Answer]:
    """Answers from another release than the one every replica had switched to before the
    request was sent (and no later switch had started before it was answered): after a
    switch completes, a client never sees an older release again.
    (tests/deploy/test_release_order.py).
    """
    stale = []
    for a in answers:
        if a.release is None:
            continue
        done = [s for s in switches if s.completed <= a.sent]
        if not done:
            continue
        expected = done[-1]
        later = [s for s in switches if s.started > expected.started and s.started <= a.received]
        if not later and a.release != expected.release:
            stale.append(a)
    return stale
