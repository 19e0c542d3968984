"""The end-to-end deployment test of issue #17 (``make test-deploy``, run by ``.ci/run``;
marked ``deploy``, left out of ``make test``): PostgreSQL, moto's S3 server, three Ardoise
replicas (``ardoise serve``, each its own var folder) and nginx (deploy/nginx.conf) on
loopback; wrk at 32 connections for 30 s on a mix of records, exports and pages while a new
release is published, then rolled back, each replica restarted in turn (SIGTERM) and one
killed (SIGKILL) and restarted. Asserted: 0 non-2xx answers and 0 socket errors (wrk's
counts and those of the Python clients), and no answer from another release than the one
the switch had completed to (Python clients recording ``X-Ardoise-Release``). Figures are
printed as JSON lines (``pytest -s``)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ardoise.controlplane.database import open_control_plane
from ardoise.settings import Secret, Settings, load_settings
from tests.deploy import nginx_site
from tests.deploy.cluster import (
    ROOT,
    Replica,
    free_port,
    postgres_database,
    replica_env,
    s3_server,
)
from tests.deploy.distribution import AWS, Distribution, changed_mirror
from tests.deploy.load import (
    Answer,
    ReleaseClient,
    Switch,
    stale_answers,
    start_wrk,
    wrk_report,
    wrk_script,
)
from tests.fixtures import write_catalog, write_mirror
from tests.postgres import postgres_url

pytestmark = pytest.mark.deploy

SECONDS = int(os.environ.get("ARDOISE_TEST_DEPLOY_SECONDS", "30"))
LIMIT = 4 * SECONDS  # the events must fit in it (a slow machine takes more than 30 s)
CONNECTIONS = 32
FOLLOW = 30  # ARDOISE_RELEASE_FOLLOW_SECONDS: the replicas' re-read of the announcement
CLIENTS = 4
V21 = "/api/explore/v2.1/catalog/datasets"
PATHS = [
    f"{V21}/test-ips-ecoles/records?limit=20",
    f"{V21}/test-ips-ecoles/records?where=ips%3E100&order_by=ips%20desc&limit=5",
    f"{V21}/test-ips-ecoles/records?select=secteur,count(*)%20as%20n&group_by=secteur",
    f"{V21}/test-calendrier/records?limit=10",
    f"{V21}/test-effectifs-latin1/records?where=session%3D2023",
    f"{V21}/test-ips-ecoles/exports/csv",
    f"{V21}/test-ips-ecoles/exports/json",
    f"{V21}/test-calendrier/exports/parquet",
    f"{V21}/test-points/exports/geojson",
    V21,
    "/",
    "/donnees",
    "/donnees/test-ips-ecoles",
    "/api/v1/datapackage.json",
]


def _figure(name: str, **values: Any) -> None:
    print(json.dumps({"figure": name, **values}, ensure_ascii=False), flush=True)


class Schedule:
    """What happens to the replicas during the load, each step timed."""

    def __init__(self, replicas: list[Replica], distribution: Distribution) -> None:
        self.replicas, self.distribution = replicas, distribution
        self.switches: list[Switch] = []
        self.events: list[dict[str, Any]] = []
        self.t0 = time.monotonic()

    def _event(self, name: str, started: float, **detail: Any) -> None:
        now = time.monotonic()
        self.events.append(
            {"event": name, "at_s": round(started - self.t0, 2), "took_s": round(now - started, 2)}
            | detail
        )

    def switch(self, name: str, action: Callable[[], str]) -> None:
        """``action`` publishes or rolls back (and announces) on the publishing node, and
        names the release; then every replica must serve it (they follow on their own)."""
        started = time.monotonic()
        release = action()
        announced = time.monotonic()
        for replica in self.replicas:
            replica.wait_serving(release)
        self.switches.append(Switch(release, started, time.monotonic()))
        follow = round(self.switches[-1].completed - announced, 2)
        self._event(name, started, release=release, replicas_followed_s=follow)

    def restart(self, replica: Replica, kill: bool, release: str) -> None:
        started = time.monotonic()
        graceful = None
        if kill:
            replica.kill()
        else:
            graceful = replica.terminate()
        stopped = time.monotonic()
        replica.start()
        replica.wait_serving(release)
        name = "sigkill" if kill else "sigterm"
        self._event(
            name,
            started,
            replica=replica.name,
            graceful=graceful,
            down_s=round(stopped - started, 2),
        )

    def run(self, publisher: Settings, old: str) -> None:
        """Publish, roll back, restart each replica (SIGTERM), kill one."""
        time.sleep(2)
        self.switch("publish", lambda: self.distribution.publish(publisher))
        time.sleep(1)
        self.switch("rollback", lambda: self.distribution.rollback(old) or old)
        for replica in self.replicas:
            time.sleep(0.5)
            self.restart(replica, kill=False, release=old)
        time.sleep(0.5)
        self.restart(self.replicas[1], kill=True, release=old)


@dataclass(frozen=True)
class Cluster:
    front: int  # nginx's port
    replicas: list[Replica]
    distribution: Distribution
    publisher: Settings  # the publishing node's settings (fixture mirror, own var folder)
    first: str  # the release every replica serves at the start
    database: str  # the replicas' shared PostgreSQL database


def _counted(database: str) -> int:
    """Answers counted by the replicas in the shared database (``/statut``'s counts)."""
    import psycopg

    with psycopg.connect(database) as db:
        row = db.execute("SELECT coalesce(sum(calls), 0) FROM service_levels").fetchone()
    return int(row[0]) if row else 0


@contextlib.contextmanager
def _cluster(tmp: Path, stack: contextlib.ExitStack) -> Iterator[Cluster]:
    """PostgreSQL, S3, the publishing node and its first release, three replicas following
    its announcements, nginx."""
    server = postgres_url()
    assert server, "ARDOISE_TEST_POSTGRES_URL manque (make test-deploy démarre PostgreSQL)"
    database = stack.enter_context(postgres_database(server))
    # migrated once before the replicas start (each would otherwise race to migrate)
    open_control_plane(load_settings(environ={}, controlplane_database_url=Secret(database)))
    endpoint = stack.enter_context(s3_server(tmp / "s3.log"))
    mirror, catalog = write_mirror(tmp / "mirror"), write_catalog(tmp / "catalog")
    distribution = Distribution(endpoint, database, tmp / "publisher")
    base = {"ARDOISE_CATALOG_DIR": str(catalog), "ARDOISE_MIRROR": str(mirror)}
    base["ARDOISE_NODE_MODULES"] = str(ROOT / "node_modules")
    # announcements heard through NOTIFY: the 30 s re-read would fail the follow check
    base |= distribution.replica_env() | {"ARDOISE_RELEASE_FOLLOW_SECONDS": str(FOLLOW)}
    replicas = []
    for n in range(3):
        port, var = free_port(), tmp / f"replica{n}"
        env = replica_env(var, port, database, base)
        replicas.append(Replica(f"replica{n}", port, var, env, tmp / f"replica{n}.log"))
    publisher = distribution.publisher(mirror, catalog)
    first = distribution.publish(publisher)  # announced: replicas start with an empty var/
    for replica in replicas:
        stack.callback(replica.stop)
        replica.start()
    for replica in replicas:
        replica.wait_serving(first)
    front = free_port()
    conf = nginx_site.render(tmp / "nginx", [r.port for r in replicas], front, replicas[0].var_dir)
    stack.callback(nginx_site.stop, nginx_site.start(conf, front))
    changed_mirror(mirror)  # the next build publishes a new release
    yield Cluster(front, replicas, distribution, publisher, first, database)


def _check_paths(front: int) -> None:
    """Every URL of the mix answers 200 before the load starts (a typo fails here)."""
    conn = http.client.HTTPConnection("127.0.0.1", front, timeout=30)
    for path in PATHS:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        assert r.status == 200 and r.getheader("x-ardoise-release"), (path, r.status)
    conn.close()


def _client_figures(answers: list[Answer], stale: list[Answer]) -> dict[str, Any]:
    return {
        "requests": len(answers),
        "non_2xx": sum(1 for a in answers if a.status and not 200 <= a.status < 300),
        "socket_errors": sum(1 for a in answers if a.status == 0),
        "releases_seen": dict(Counter(a.release or "-" for a in answers)),
        "stale_after_switch": len(stale),
    }


def _nginx_figures(log: Path) -> dict[str, int]:
    """From nginx's error log: requests replayed on another replica because theirs failed
    before answering, and answers cut short (a replica died mid-answer)."""
    text = log.read_text(errors="replace") if log.is_file() else ""
    return {
        "replayed_refused": text.count("connect() failed"),
        "replayed_before_answer": text.count("while reading response header from upstream"),
        "cut_mid_answer": text.count("while reading upstream"),
    }


def test_three_replicas_behind_nginx_lose_no_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert nginx_site.NGINX and shutil.which("wrk"), "nginx et wrk : scripts/deploy-tools.sh"
    for key, value in AWS.items():  # the publishing node's boto3 (this process)
        monkeypatch.setenv(key, value)
    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(_cluster(tmp_path, stack))
        front, replicas, first = cluster.front, cluster.replicas, cluster.first
        _check_paths(front)
        clients = [ReleaseClient(n, front, PATHS[n::CLIENTS] + PATHS) for n in range(CLIENTS)]
        for client in clients:
            client.start()
            stack.callback(client.stopping.set)
        out = tmp_path / "wrk.txt"
        script = wrk_script(PATHS, tmp_path)
        wrk = start_wrk(front, script, LIMIT, CONNECTIONS, out)
        loaded = time.monotonic()
        stack.callback(lambda: wrk.poll() is None and wrk.kill())
        schedule = Schedule(replicas, cluster.distribution)
        schedule.run(cluster.publisher, first)
        finished = time.monotonic() - loaded
        assert wrk.poll() is None, "wrk s'est arrêté avant la fin du scénario"
        # the load goes on for SECONDS at least, and a second past the last event
        time.sleep(max(1.0, SECONDS - (time.monotonic() - loaded)))
        wrk.send_signal(signal.SIGINT)  # wrk stops and reports
        assert wrk.wait(30) == 0, out.read_text()
        for client in clients:
            client.stopping.set()
            client.join(20)
        for replica in replicas:
            replica.stop()  # graceful: each flushes its counts
        counted = _counted(cluster.database)
    report = wrk_report(out)
    answers = sorted((a for c in clients for a in c.answers), key=lambda a: a.sent)
    stale = stale_answers(answers, schedule.switches)
    sockets = sum(report[k] for k in ("connect", "read", "write", "timeout"))
    seconds = report["duration_us"] / 1e6
    for event in schedule.events:
        _figure("deploy_event", **event)
    _figure(
        "deploy_wrk",
        connections=CONNECTIONS,
        scenario_seconds=round(finished, 1),
        seconds=round(seconds, 1),
        requests=report["requests"],
        rps=round(report["requests"] / seconds, 1),
        p50_ms=round(report["p50_us"] / 1000, 1),
        p99_ms=round(report["p99_us"] / 1000, 1),
        max_ms=round(report["max_us"] / 1000, 1),
        non_2xx=report["non_2xx"],
        socket_errors=sockets,
        errors={k: report[k] for k in ("connect", "read", "write", "timeout", "status")},
        releases_seen=report["releases"],
    )
    _figure("deploy_clients", clients=CLIENTS, **_client_figures(answers, stale))
    answered = report["requests"] + len(answers) + len(PATHS)
    _figure("deploy_usage", answered=answered, counted_in_postgresql=counted)
    _figure("deploy_nginx", **_nginx_figures(tmp_path / "nginx" / "error.log"))
    assert report["non_2xx"] == 0 and report["status"] == 0, report
    assert sockets == 0, report
    assert [a for a in answers if a.status != 200] == []
    assert stale == [], stale[:5]
    followed = [e["replicas_followed_s"] for e in schedule.events if "replicas_followed_s" in e]
    assert max(followed) < FOLLOW, f"répliques en retard sur l'annonce (NOTIFY) : {followed}"
    assert [e["graceful"] for e in schedule.events if e["event"] == "sigterm"] == [True] * 3
    # the load saw both releases: the switch and the rollback happened under it
    assert set(report["releases"]) >= {first, schedule.switches[0].release}, report["releases"]
    # every answer counted once in the shared database, but those the killed replica had
    # not flushed yet (at most ARDOISE_USAGE_FLUSH_SECONDS, 2 s, of its answers)
    assert 0 <= answered - counted <= 2 * report["requests"] / seconds, (answered, counted)
