"""The per-address quota counted across every process and replica (issue #17), through
PostgreSQL (``ARDOISE_QUOTA_DATABASE_URL``).

Each process keeps counting in memory (:class:`~ardoise.web.ratelimit.RateLimitMiddleware`:
one dictionary update a request) and a thread, every ``ARDOISE_QUOTA_SYNC_MS``, adds what it
counted since its last synchronisation to the table ``quota_windows`` (one
``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n RETURNING n`` for all addresses) and
reads back each address's total over every process; the middleware then enforces its own
count plus the others' last known total. **Bound**: in one window, an address gets at most
the quota plus what each process let it through between two of its synchronisations (at
most N × its rate × the interval, N processes); it is never refused before the quota.

**No address leaves the process**: the table holds a keyed hash, HMAC-SHA256 of the address
under a key of the day, itself HMAC-SHA256 of ``ARDOISE_QUOTA_SECRET`` (shared by the
replicas, so that their counts meet) and the UTC day of the window: the day's key is held
in memory only and a new one is derived at midnight. Windows older than the previous one
are deleted at each new window.

PostgreSQL unreachable: the quota is counted per process (what each process counts
locally still stands), ``/ready`` says it (a non-blocking check, the replica is degraded,
never a 500), and the counts not yet sent are sent at the first synchronisation that works.

>>> address_key(b"secret", 20_794, "203.0.113.7").hex()
'06742346b49db98cfc6ec8777ed59704'
>>> address_key(b"secret", 20_795, "203.0.113.7") != address_key(b"secret", 20_794, "203.0.113.7")
True
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from ardoise.errors import ConfigError
from ardoise.settings import Settings
from ardoise.web.metrics import QUOTA_LOCAL

log = logging.getLogger(__name__)

SECRET_MIN = 16  # characters of ARDOISE_QUOTA_SECRET at least
_LOCK = 1718  # advisory lock of the table's creation (the usage store's is 1717)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS quota_windows (window_start BIGINT NOT NULL, "
    "address_key BYTEA NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (window_start, address_key))",
    # each secret's fingerprint and the last window it counted in: two at once, the
    # replicas' counts do not meet (a secret being rotated, or a mistake)
    "CREATE TABLE IF NOT EXISTS quota_secrets (fingerprint TEXT PRIMARY KEY, "
    "window_start BIGINT NOT NULL)",
)
_SEEN = (
    "INSERT INTO quota_secrets VALUES (%s, %s) ON CONFLICT (fingerprint) DO UPDATE SET "
    "window_start = GREATEST(quota_secrets.window_start, excluded.window_start)"
)
_SECRETS = "SELECT count(*) FROM quota_secrets WHERE window_start >= %s"
_FORGET = "DELETE FROM quota_secrets WHERE window_start < %s"
_ADD = (
    "INSERT INTO quota_windows (window_start, address_key, n) "
    "SELECT %s, k, n FROM unnest(%s::bytea[], %s::bigint[]) AS t(k, n) "
    "ON CONFLICT (window_start, address_key) DO UPDATE SET n = quota_windows.n + excluded.n "
    "RETURNING address_key, n"
)
_PURGE = "DELETE FROM quota_windows WHERE window_start < %s"


def address_key(secret: bytes, day: int, address: str) -> bytes:
    """The key of ``address`` in the table on UTC day number ``day``: HMAC-SHA256 of the
    address under the day's key (HMAC-SHA256 of the secret and the day), 16 bytes."""
    return _keyed(_day_key(secret, day), address)


def _day_key(secret: bytes, day: int) -> bytes:
    return hmac.new(secret, f"ardoise-quota:{day}".encode(), hashlib.sha256).digest()


class Counted(Protocol):
    """What the quota's middleware gives the synchronisation and takes back from it."""

    window: int  # its length in seconds

    def current(self) -> tuple[int, dict[str, int]]: ...
    def learned(self, window: int, others: dict[str, int]) -> None: ...


class SharedQuota:
    """The synchronisation of one process's quota counts with PostgreSQL (see the module)."""

    def __init__(
        self,
        url: str,
        secret: str,
        sync_seconds: float = 0.5,
        connect: Callable[[str], Any] | None = None,
    ) -> None:
        self.url = url
        self._secret = secret.encode()
        self.sync_seconds = sync_seconds
        self._connect = connect or _connect
        self._db: Any = None
        self._limiter: Counted | None = None
        self._sent: tuple[int, dict[str, int]] = (-1, {})  # window, address → count sent
        self._day_keys: tuple[int, bytes] = (-1, b"")
        self._purged = -1  # the window whose older ones were deleted
        self._fingerprint = hmac.new(self._secret, b"ardoise-quota:empreinte", "sha256").hexdigest()
        self._mismatch = False  # another secret counted in the last two windows
        self._sync_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: str | None = "pas encore synchronisé"
        self._last_ok = 0.0

    def attach(self, limiter: Counted) -> None:
        """The middleware whose counts are shared (Starlette builds it at startup)."""
        self._limiter = limiter

    def status(self) -> tuple[bool, str]:
        """(shared now, what ``/ready`` says), from memory: no database call."""
        late = time.monotonic() - self._last_ok > max(5.0, 4 * self.sync_seconds)
        if self._error is None and self._mismatch:
            return False, (
                "ARDOISE_QUOTA_SECRET n'est pas le même sur toutes les répliques : "
                "leurs comptes ne se rejoignent pas"
            )
        if self._error is None and not late:
            return True, "partagé entre les processus et les répliques (PostgreSQL)"
        why = self._error or "synchronisation en retard"
        return False, f"{why} : quota compté par processus"

    def sync(self) -> None:
        """Adds this process's new counts to the table and learns the totals; on failure,
        keeps them for the next synchronisation (never raises)."""
        limiter = self._limiter
        if limiter is None:
            return
        with self._sync_lock:
            window, counts = limiter.current()
            sent = self._sent[1] if self._sent[0] == window else {}
            fresh = _fresh(counts, sent)
            try:
                totals = self._exchange(window, limiter, fresh)
            except Exception as exc:  # any driver's error: the reason, without the URL
                self._failed(exc)
                return
            for address in fresh:
                sent[address] = counts[address]
            self._sent = (window, sent)
            limiter.learned(window, {a: n - counts[a] for a, n in totals.items()})
            if self._error is not None and self._last_ok:
                log.warning("quota partagé : PostgreSQL joignable de nouveau")
            self._error, self._last_ok = None, time.monotonic()
            QUOTA_LOCAL.set(0)

    def _exchange(self, window: int, limiter: Counted, fresh: dict[str, int]) -> dict[str, int]:
        """The upsert of ``fresh`` (address → new count) and each address's total."""
        db = self._db or self._connect(self.url)
        try:
            if self._db is None:  # a new connection: the tables, created once for all
                db.execute(f"SELECT pg_advisory_lock({_LOCK})")
                try:
                    for statement in _SCHEMA:
                        db.execute(statement)
                finally:
                    db.execute(f"SELECT pg_advisory_unlock({_LOCK})")
                self._db = db
            if self._purged != window:
                self._new_window(db, window, limiter.window)
            if not fresh:
                return {}
            day_key = self._day_key(window // 86_400)
            keyed = sorted((_keyed(day_key, a), a) for a in fresh)  # one lock order for all
            rows = db.execute(
                _ADD, (window, [k for k, _a in keyed], [fresh[a] for _k, a in keyed])
            ).fetchall()
        except Exception:
            self._db = None
            _close(db)
            raise
        addresses = dict(keyed)
        return {addresses[bytes(k)]: int(n) for k, n in rows}

    def _new_window(self, db: Any, window: int, length: int) -> None:
        """Once a window: older windows deleted, this secret's fingerprint seen, others'."""
        db.execute(_PURGE, (window - length,))
        db.execute(_SEEN, (self._fingerprint, window))
        db.execute(_FORGET, (window - 2 * length,))
        (secrets,) = db.execute(_SECRETS, (window - length,)).fetchone()
        if secrets > 1 and not self._mismatch:
            log.warning("quota partagé : ARDOISE_QUOTA_SECRET diffère entre les répliques")
        self._mismatch = secrets > 1
        self._purged = window

    def _day_key(self, day: int) -> bytes:
        if self._day_keys[0] != day:  # a new day: yesterday's key is forgotten
            self._day_keys = (day, _day_key(self._secret, day))
        return self._day_keys[1]

    def _failed(self, exc: Exception) -> None:
        error = f"PostgreSQL injoignable ({type(exc).__name__})"
        if self._error != error:
            log.warning("quota partagé : %s, quota compté par processus", error)
        self._error = error
        QUOTA_LOCAL.set(1)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="ardoise-quota", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:  # at once (the table, /ready), then every interval
            self.sync()
            if self._stop.wait(self.sync_seconds):
                return

    def stop(self) -> None:
        """At shutdown: the last counts are sent, the connection closed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.sync()
        db, self._db = self._db, None
        if db is not None:
            _close(db)


def _fresh(counts: dict[str, int], sent: dict[str, int]) -> dict[str, int]:
    """What each address counted since it was last sent (all of it when the count started
    again: the middleware forgot the address, see ``RateLimitMiddleware._forget``).

    >>> _fresh({"a": 5, "b": 2, "c": 1}, {"a": 3, "b": 2, "c": 4})
    {'a': 2, 'c': 1}
    """
    out = {}
    for address, count in counts.items():
        before = sent.get(address, 0)
        if count != before:
            out[address] = count - before if count > before else count
    return out


def _keyed(day_key: bytes, address: str) -> bytes:
    return hmac.new(day_key, address.encode(), hashlib.sha256).digest()[:16]


def _close(db: Any) -> None:
    """Closes a connection, whatever state it is in."""
    try:
        db.close()
    except Exception:  # already broken: nothing more to release
        log.debug("quota partagé : fermeture", exc_info=True)


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(
        url, autocommit=True, connect_timeout=2, options="-c statement_timeout=2000"
    )


def configured(settings: Settings) -> SharedQuota | None:
    """The synchronisation of ``ARDOISE_QUOTA_DATABASE_URL``, or None: no quota enforced
    (``ARDOISE_RATE_LIMIT_PER_MINUTE=0``) or none configured (the quota is per process)."""
    url = settings.quota_database_url.reveal().strip()
    if settings.rate_limit_per_minute <= 0 or not url:
        return None
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "ARDOISE_QUOTA_DATABASE_URL doit être une URL postgresql://… (le quota partagé "
            "entre répliques passe par PostgreSQL)."
        )
    secret = settings.quota_secret.reveal()
    if len(secret.strip()) < SECRET_MIN:
        raise ConfigError(
            f"ARDOISE_QUOTA_DATABASE_URL demande ARDOISE_QUOTA_SECRET (au moins {SECRET_MIN} "
            "caractères, le même sur toutes les répliques) : les adresses ne sont stockées "
            "que hachées avec une clé qui en dérive."
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ConfigError(
            "ARDOISE_QUOTA_DATABASE_URL désigne PostgreSQL, mais le pilote psycopg manque "
            "(pip install 'psycopg[binary]', ou l'extra deploy)."
        ) from None
    return SharedQuota(url, secret, sync_seconds=max(settings.quota_sync_ms, 50) / 1000)
