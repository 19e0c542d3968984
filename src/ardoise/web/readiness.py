"""Whether the served release is loaded and healthy: ``/health`` and ``/ready`` say it from
one function (issue #21.2), which the operators' tools can reuse."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool

from ardoise.errors import ArdoiseError
from ardoise.query.release import ReleaseHolder


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
