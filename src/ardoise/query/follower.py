"""A replica following the announced release (issue #17): ``ardoise serve`` with
``ARDOISE_RELEASE_FOLLOW=1`` starts one ``Follower`` thread per process; one process per
``var/`` holds ``var/follow.lock`` and does the work, the others wait to take over if it
dies. The one that holds it reads ``release_courante`` at start and again on every
``NOTIFY ardoise_release`` (or every ``ARDOISE_RELEASE_FOLLOW_SECONDS``, which also retries a
release that failed), then: download from the bucket, verify every sha256, load and warm it
up aside, and only then switch ``var/current``, which every process's ``ReleaseHolder``
notices. A release that cannot be had (corrupt or missing object, S3 or PostgreSQL down)
leaves ``var/current`` as it was: the previous release stays served, and
``var/follow.json`` says why, for ``/ready`` and ``/metrics`` of every process.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ardoise.errors import ArdoiseError
from ardoise.query.release import ServedRelease
from ardoise.release import announce
from ardoise.release.distribution import pull
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings

log = logging.getLogger(__name__)
STATE_FILE = "follow.json"


@dataclass(frozen=True)
class FollowState:
    """What the follower last found: the announced release, the one ``var/current`` names,
    and why they differ (None when they do not)."""

    announced: str | None
    current: str | None
    error: str | None
    at: str

    @property
    def behind(self) -> bool:
        return self.error is not None


def read_state(var_dir: Path) -> FollowState | None:
    """The last state a follower wrote under ``var_dir``; None when none follows."""
    try:
        data = json.loads((var_dir / STATE_FILE).read_text("utf-8"))
        return FollowState(**data)
    except (OSError, ValueError, TypeError):
        return None


def _noop(_value: object) -> None:
    return None


class Follower:
    def __init__(
        self,
        settings: Settings,
        on_failure: Callable[[str], None] = _noop,
        on_switch: Callable[[str], None] = _noop,
        on_state: Callable[[FollowState], None] = _noop,
    ) -> None:
        self.settings = settings
        self.url = settings.release_announce_url.reveal().strip()
        self.store = ReleaseStore(settings.var_dir)
        self.on_failure = on_failure  # a failed attempt at that release id (a counter)
        self.on_switch = on_switch  # var/current now names that release
        self.on_state = on_state  # every state written (a gauge)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one pass -----------------------------------------------------------------
    def sync(self) -> FollowState:
        """Read the announcement and, when it names another release, fetch, verify, warm
        up and switch to it; the state written for ``/ready``."""
        wanted: str | None = None
        try:
            found = announce.current(self.url)
            wanted = found.id if found else None
            if wanted is not None and wanted != self.store.current_id():
                self._switch_to(wanted)
            error = None
        except ArdoiseError as exc:
            error = str(exc)
        except Exception as exc:  # the announcement database is unreachable
            error = f"annonce illisible ({type(exc).__name__})"
        if error is not None:
            log.warning("Release %s non chargée : %s", wanted or "annoncée", error)
            self.on_failure(wanted or "")
        return self._write(wanted, error)

    def _switch_to(self, release_id: str) -> None:
        path = pull(self.settings, release_id)  # every sha256 checked before it is kept
        ServedRelease(path, self.settings).close()  # it opens: manifest, catalog, engine
        with self.store.lock():
            self.store.switch(release_id)  # read back intact once more, then current
        log.info("Release %s annoncée : servie", release_id)
        self.on_switch(release_id)

    def _write(self, announced: str | None, error: str | None) -> FollowState:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        state = FollowState(announced, self.store.current_id(), error, now)
        target = self.settings.var_dir / STATE_FILE
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(state)), "utf-8")
        os.replace(tmp, target)
        self.on_state(state)
        return state

    # --- the thread ---------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ardoise-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.var_dir / "follow.lock", "w") as lock:
            while not self._stop.is_set():
                if _try_lock(lock):
                    self._follow()
                    return
                self._stop.wait(self.settings.release_follow_seconds)

    def _follow(self) -> None:
        """LISTEN, sync at once, then on each notification and every period; reconnect
        after the announcement database was lost."""
        period = max(1, self.settings.release_follow_seconds)
        while not self._stop.is_set():
            conn: Any = None
            try:
                conn = announce.listen(self.url)
                self.sync()
                last = time.monotonic()
                while not self._stop.is_set():
                    heard = any(True for _n in conn.notifies(timeout=0.5, stop_after=1))
                    if heard or time.monotonic() - last >= period:
                        self.sync()
                        last = time.monotonic()
            except Exception as exc:
                self._write(None, f"annonce injoignable ({type(exc).__name__})")
                self._stop.wait(period)
            finally:
                if conn is not None:
                    conn.close()


def _try_lock(fh: IO[str]) -> bool:
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
