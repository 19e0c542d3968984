"""The follower of a replica (issue #17, ``query/follower.py``), wired to this app: its
failures counted on ``/metrics`` (``ardoise_release_load_failures``, ``ardoise_release_behind``),
and the release it switched to loaded at once by this process's ``ReleaseHolder``."""

from __future__ import annotations

from contextlib import suppress

from ardoise.errors import ArdoiseError
from ardoise.query.follower import Follower, FollowState
from ardoise.query.release import ReleaseHolder
from ardoise.settings import Settings
from ardoise.web.metrics import BEHIND, LOAD_FAILURES


def follower(settings: Settings, holder: ReleaseHolder) -> Follower | None:
    """The follower when ``ARDOISE_RELEASE_FOLLOW`` is on (it needs the announcement URL)."""
    if not settings.release_follow:
        return None

    def failed(release_id: str) -> None:
        LOAD_FAILURES.labels(release_id or "?").inc()

    def switched(_release_id: str) -> None:
        with suppress(ArdoiseError):  # unservable: said by /health and /ready
            holder.get()  # loaded here, in the follower's thread, before the next request

    def state(found: FollowState) -> None:
        BEHIND.set(1 if found.behind else 0)

    return Follower(settings, on_failure=failed, on_switch=switched, on_state=state)
