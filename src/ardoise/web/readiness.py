"""``/ready`` (issue #17): whether this replica should receive traffic. ``/health`` says the
process is alive; ``/ready`` says it can answer: a release is loaded and is the one
``var/current`` names (a replica that could not load a newer one keeps serving the previous
one, and says so here), and every database it was configured with answers (the usage
counters, the enrolment registry when there is one). 200 with each check, or 503 with the
reasons, in French; never cached. A replica following announcements (issue #17) that could
not load the announced release answers 200 with ``"degrade": true`` and the reason. ``release_state`` is what ``/health`` says of the release
(issue #21.2): loaded or not, and why ``var/current`` is not what is served.

>>> state = Readiness((Check("release", True, "20261207T000000Z-ab"), Check("usages", False, "x")))
>>> state.ready, state.reasons
(False, ('usages : x',))
>>> Readiness((Check("release", True, "r"), Check("annonce", False, "x", False))).degraded
True
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from ardoise.errors import ArdoiseError
from ardoise.query.follower import FollowState, read_state
from ardoise.query.release import ReleaseHolder
from ardoise.usage.counter import UsageCounter
from ardoise.web.shared_quota import SharedQuota


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    blocking: bool = True  # False: a failure degrades the replica, it still serves


@dataclass(frozen=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks if c.blocking)

    @property
    def degraded(self) -> bool:
        """Ready, but a non-blocking check failed (an announced release not loaded)."""
        return self.ready and not all(c.ok for c in self.checks)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f"{c.name} : {c.detail}" for c in self.checks if not c.ok)

    def body(self) -> dict[str, Any]:
        return {
            "statut": "pret" if self.ready else "pas_pret",
            "degrade": self.degraded,
            "verifications": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks},
            **({"raisons": list(self.reasons)} if self.reasons else {}),
        }


async def readiness(
    holder: ReleaseHolder,
    counter: UsageCounter | None,
    registry: Any | None,
    quota: SharedQuota | None = None,
) -> Readiness:
    """Every check, each run in the threadpool (a database may be slow to answer).
    ``registry``: the enrolment service when a registry URL is configured, else None;
    ``quota``: the shared quota's last synchronisation (from memory, non-blocking: without
    PostgreSQL the quota is counted per process, the replica is degraded)."""
    checks = [await run_in_threadpool(_release, holder)]
    if holder.settings.release_follow:
        checks.append(_announced(read_state(holder.settings.var_dir)))
    if counter is not None:
        checks.append(await run_in_threadpool(_database, "usages", counter.store.ping))
    if registry is not None:
        checks.append(await run_in_threadpool(_database, "registre", lambda: _ping(registry)))
    if quota is not None:
        checks.append(Check("quota", *quota.status(), blocking=False))
    return Readiness(tuple(checks))


def _announced(state: FollowState | None) -> Check:
    """The announced release (issue #17): not loaded is a degraded replica, not an unready
    one. It still serves the previous release, intact, like every replica that failed the
    same download: answering 503 on all of them would leave nginx no replica at all."""
    if state is None:
        return Check("annonce", False, "pas encore lue", blocking=False)
    if state.error is not None:
        served = state.current or "aucune"
        return Check(
            "annonce",
            False,
            f"release {state.announced or '?'} non chargée ({state.error}) ; {served} servie",
            blocking=False,
        )
    return Check("annonce", True, state.announced or "aucune annonce", blocking=False)


def _ping(registry: Any) -> None:
    engine = registry.engine  # None: absent, unreachable or not migrated
    if engine is None:
        raise ConnectionError("registre absent ou non migré")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")


def _release(holder: ReleaseHolder) -> Check:
    try:
        release = holder.get()  # loads it after a switch, as a first request would
    except ArdoiseError as exc:
        return Check("release", False, str(exc))
    problem = holder.problem()
    if problem is not None:
        return Check("release", False, f"{release.id} servie à la place de la courante : {problem}")
    return Check("release", True, release.id)


def _database(name: str, ping: Any) -> Check:
    try:
        ping()
    except Exception as exc:  # any driver's error: the reason, without the URL
        return Check(name, False, f"base injoignable ({type(exc).__name__})")
    return Check(name, True, "joignable")


@dataclass(frozen=True)
class ReleaseState:
    status: str  # ok, sans_release, release_precedente (var/current unservable), release_inservable
    release: str | None  # the id served now
    problem: str | None = None  # why var/current is not what is served

    @property
    def ready(self) -> bool:
        """A release is served and it is the one ``var/current`` names."""
        return self.status == "ok"


async def release_state(holder: ReleaseHolder) -> ReleaseState:
    """Load the release if it is not yet (in a thread), then say what is served."""
    with suppress(ArdoiseError):  # none published, or unservable: said below
        if holder.loaded() is None:
            await run_in_threadpool(holder.get)
    rid: str | None = None
    with suppress(ArdoiseError):
        loaded = holder.loaded()
        rid = loaded.id if loaded is not None else None
    problem = holder.problem()
    if problem is None:
        return ReleaseState("ok" if rid else "sans_release", rid)
    return ReleaseState("release_precedente" if rid else "release_inservable", rid, problem)
