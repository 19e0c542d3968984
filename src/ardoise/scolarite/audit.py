"""The audit journal: one entry per API call, append-only, hash-chained, written by one
writer and committed before the answer leaves.

Each entry's ``empreinte`` is SHA-256 over its fields and ``precedent`` (the previous
entry's ``empreinte``; 64 zeros for the first ever). The head (last seq and hash) is kept
in ``scolarite_meta`` and updated in the same transaction, so a removed tail is detected.
A call keeps one salted SHA-256 (the salt lives in ``scolarite_meta``) and nothing clear,
``empreinte_parametres`` (:func:`call_hash`): when it identified exactly one pupil, the
hash of that pupil's identifier (:func:`pupil_hash`), which is what the families' view
finds its child's checks by; otherwise the hash of its parameters. The operator can check
whether a given pupil or identity was queried; nobody without the salt can read either.
Entries written from migration 0006 to 0008 kept the pupil's hash in a second column,
``empreinte_eleve``, hashed into the chain only when set: they verify unchanged, and are
still read until the retention purge removes them.

Writer: :class:`AuditWriter` runs on the API's event loop; ``record`` queues an entry and
awaits the commit of the batch that holds it (group commit: many concurrent calls share one
transaction). Each batch first locks the head row, so two processes never fork the chain.

Retention: :func:`purge` appends an *anchor* entry (``genre = "ancre"``,
``request_id = "ancre-<first kept seq>"``, ``empreinte_parametres`` = hash of the last
removed entry), then deletes older entries, in one transaction. :func:`verify` accepts a
chain that starts after seq 1 only if such an anchor vouches for its first entry.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from ardoise.measures import AUDIT_LAG
from ardoise.scolarite.errors import AuditUnavailable as AuditUnavailable
from ardoise.scolarite.schema import audit, meta

GENESIS = "0" * 64
_SALT_KEY = "sel_audit"
_HEAD_KEY = "audit_tete"


@dataclass(frozen=True)
class AuditEntry:
    """What a call leaves in the journal (never a name or a birth date)."""

    request_id: str
    endpoint: str
    statut: int
    resultat: str
    empreinte_parametres: str
    jeton_id: str | None = None
    recipient: str | None = None
    drapeau: str | None = None
    genre: str = "appel"  # "appel", "ancre", or "famille" (the families' view, issue #16)


def entry_hash(row: dict[str, object]) -> str:
    parts = [
        str(row["seq"]),
        str(row["horodatage"]),
        str(row["genre"]),
        str(row["jeton_id"] or ""),
        str(row["recipient"] or ""),
        str(row["request_id"]),
        str(row["endpoint"]),
        str(row["statut"]),
        str(row["resultat"]),
        str(row["empreinte_parametres"]),
        str(row["drapeau"] or ""),
        str(row["precedent"]),
    ]
    if row.get("empreinte_eleve"):  # only entries of migrations 0006 to 0008 have it
        parts.append(str(row["empreinte_eleve"]))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def salt(engine: Engine) -> str:
    """The salt of parameter hashes, created once per registry (two processes starting
    together both end up with the one that was stored first)."""
    for _attempt in range(3):
        with engine.connect() as conn:
            row = conn.execute(select(meta.c.valeur).where(meta.c.cle == _SALT_KEY)).first()
        if row is not None:
            return str(row[0])
        try:
            with engine.begin() as conn:
                conn.execute(insert(meta).values(cle=_SALT_KEY, valeur=secrets.token_hex(32)))
        except IntegrityError:
            continue  # another process stored it first: read it back
    raise AuditUnavailable("sel du journal introuvable")


def pupil_hash(salt_value: str, identifiant: str) -> str:
    """The salted hash of a pupil's identifier: the ``empreinte_parametres`` of a call that
    identified that pupil.

    >>> pupil_hash("sel", "0000000001A") == pupil_hash("sel", "0000000001A")
    True
    >>> pupil_hash("sel", "0000000001A") == pupil_hash("autre", "0000000001A")
    False
    """
    return hashlib.sha256(f"{salt_value}:eleve:{identifiant}".encode()).hexdigest()


def params_hash(salt_value: str, params: Iterable[tuple[str, str]]) -> str:
    canonical = json.dumps(sorted(params), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{salt_value}:{canonical}".encode()).hexdigest()


def call_hash(salt_value: str, params: Iterable[tuple[str, str]], pupil: str | None) -> str:
    """A call's one hash (``empreinte_parametres``): the pupil's, when it identified one,
    else its parameters'. Both hashes are prefixed differently, so they never meet.

    >>> call_hash("sel", [("nom", "X")], "0000000001A") == pupil_hash("sel", "0000000001A")
    True
    >>> call_hash("sel", [("nom", "X")], None) == params_hash("sel", [("nom", "X")])
    True
    """
    return pupil_hash(salt_value, pupil) if pupil else params_hash(salt_value, params)


# The journal's statements (Core), run by :func:`append` on a SQLAlchemy connection and,
# compiled once, by the PostgreSQL store of the API.
LOCK_HEAD = (
    update(meta)
    .where(meta.c.cle == bindparam("cle_tete"))
    .values(valeur=meta.c.valeur)  # a no-op update: takes the row lock
    .returning(meta.c.valeur)
)
NEW_HEAD = insert(meta).values(cle=bindparam("cle_tete"), valeur=bindparam("tete"))
SET_HEAD = update(meta).where(meta.c.cle == bindparam("cle_tete")).values(valeur=bindparam("tete"))
INSERT = insert(audit)
HEAD_KEY = {"cle_tete": _HEAD_KEY}


def head_value(seq: int, digest: str) -> dict[str, str]:
    return {**HEAD_KEY, "tete": f"{seq}:{digest}"}


def parse_head(value: str) -> tuple[int, str]:
    seq, _, digest = value.partition(":")
    return int(seq), digest


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Take the write lock on the head row (row lock in PostgreSQL, database lock in
    SQLite) and return the head ``(seq, hash)``."""
    row = conn.execute(LOCK_HEAD, HEAD_KEY).first()
    if row is None:
        conn.execute(NEW_HEAD, head_value(0, GENESIS))
        return 0, GENESIS
    return parse_head(str(row[0]))


def _now_text(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain(
    entries: Sequence[AuditEntry], seq: int, previous: str, now: datetime
) -> list[dict[str, object]]:
    """The rows of ``entries`` after the head ``(seq, previous)``, each hash chained to
    the one before."""
    rows: list[dict[str, object]] = []
    stamp = _now_text(now)
    for e in entries:
        seq += 1
        row: dict[str, object] = {
            "seq": seq,
            "horodatage": stamp,
            "genre": e.genre,
            "jeton_id": e.jeton_id,
            "recipient": e.recipient,
            "request_id": e.request_id,
            "endpoint": e.endpoint,
            "statut": e.statut,
            "resultat": e.resultat,
            "empreinte_parametres": e.empreinte_parametres,
            "drapeau": e.drapeau,
            "empreinte_eleve": None,  # no longer written (see the module's docstring)
            "precedent": previous,
        }
        row["empreinte"] = previous = entry_hash(row)
        rows.append(row)
    return rows


def append(conn: Connection, entries: Sequence[AuditEntry], now: datetime) -> list[int]:
    """Append entries in the caller's transaction; returns their seq numbers."""
    rows = chain(entries, *_lock_head(conn), now)
    if rows:
        conn.execute(INSERT, rows)
        last = rows[-1]
        conn.execute(SET_HEAD, head_value(int(last["seq"]), str(last["empreinte"])))  # type: ignore[call-overload]
    return [int(r["seq"]) for r in rows]  # type: ignore[call-overload]


def core_commit(
    engine: AsyncEngine,
) -> Callable[[list[AuditEntry], datetime], Awaitable[list[int]]]:
    """The commit of a batch through a SQLAlchemy engine: :func:`append` in a transaction."""

    async def commit(entries: list[AuditEntry], now: datetime) -> list[int]:
        async with engine.begin() as conn:
            return await conn.run_sync(append, entries, now)

    return commit


class AuditWriter:
    """The one writer of the journal in a process (batches lock the head, see above), on
    the event loop that serves the API. ``commit`` writes one batch in one transaction
    (:func:`core_commit`, or the PostgreSQL store's own).

    ``record`` adds the entry to the pending list and awaits the commit of the batch that
    holds it. A single drain task commits batches one after the other: whatever arrives
    while a batch commits goes into the next one (group commit), so a commit is shared by
    every concurrent call and nothing waits on a thread.
    """

    def __init__(
        self,
        commit: Callable[[list[AuditEntry], datetime], Awaitable[list[int]]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_batch: int = 512,
    ) -> None:
        self.commit = commit
        self.clock = clock
        self.max_batch = max_batch
        self._pending: list[tuple[AuditEntry, asyncio.Future[int]]] = []
        self._task: asyncio.Task[None] | None = None

    async def record(self, entry: AuditEntry, timeout: float = 30.0) -> int:
        """Add ``entry`` and return its seq once committed; raises AuditUnavailable."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()
        self._pending.append((entry, done))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        try:
            async with asyncio.timeout(timeout):
                with AUDIT_LAG.time():  # the writer's lag, for /metrics
                    return await asyncio.shield(done)
        except TimeoutError:
            raise AuditUnavailable("journal d'audit : délai dépassé") from None

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            entries = [e for e, _ in batch]
            try:
                seqs = await self.commit(entries, self.clock())
            except Exception as exc:  # the database refused: every waiter gets a 503
                problem = AuditUnavailable("journal d'audit indisponible")
                problem.__cause__ = exc
                for _, done in batch:
                    if not done.done():
                        done.set_exception(problem)
                continue
            for (_, done), seq in zip(batch, seqs, strict=True):
                if not done.done():
                    done.set_result(seq)

    async def close(self) -> None:
        """Wait for the pending entries to be committed."""
        if self._task is not None and not self._task.done():
            await self._task


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(engine: Engine, batch: int = 10_000) -> ChainReport:
    """Recompute the chain: modified, removed, inserted or reordered entries are reported
    (in French), as is a removed tail (head mismatch) or a removed start (no anchor)."""
    problems: list[str] = []
    anchors: dict[int, str] = {}
    count = 0
    first: dict[str, object] | None = None
    previous_hash: str | None = None
    previous_seq: int | None = None
    with engine.connect() as conn:
        head_row = conn.execute(select(meta.c.valeur).where(meta.c.cle == _HEAD_KEY)).first()
        last = 0
        while True:
            rows = conn.execute(
                select(audit).where(audit.c.seq > last).order_by(audit.c.seq).limit(batch)
            ).all()
            if not rows:
                break
            for r in rows:
                row = dict(r._mapping)
                seq = int(row["seq"])
                count += 1
                if first is None:
                    first = row
                if entry_hash(row) != row["empreinte"]:
                    problems.append(f"Entrée {seq} modifiée (son empreinte ne correspond plus).")
                if previous_seq is not None and seq != previous_seq + 1:
                    problems.append(
                        f"Entrée(s) {previous_seq + 1} à {seq - 1} supprimée(s) "
                        "(numéros manquants)."
                    )
                if previous_hash is not None and row["precedent"] != previous_hash:
                    problems.append(
                        f"Chaîne rompue avant l'entrée {seq} (entrée précédente modifiée, "
                        "supprimée ou déplacée)."
                    )
                if row["genre"] == "ancre":
                    kept = str(row["request_id"]).removeprefix("ancre-")
                    if kept.isdigit():
                        anchors[int(kept)] = str(row["empreinte_parametres"])
                previous_hash = str(row["empreinte"])
                previous_seq = seq
                last = seq
    if first is not None:
        start = int(first["seq"])  # type: ignore[call-overload]
        if start == 1:
            if first["precedent"] != GENESIS:
                problems.append("La première entrée ne part pas de l'origine de la chaîne.")
        elif anchors.get(start) != first["precedent"]:
            problems.append(
                f"Le journal commence à l'entrée {start} sans ancre de purge qui en réponde "
                "(entrées initiales supprimées)."
            )
    head = f"{previous_seq}:{previous_hash}" if first is not None else None
    stored = str(head_row[0]) if head_row is not None else None
    if stored is not None and stored != f"0:{GENESIS}" and stored != head:
        problems.append(
            "La tête du journal ne correspond pas à la dernière entrée "
            "(entrées finales supprimées ou ajoutées hors de l'écrivain)."
        )
    if stored is None and first is not None:
        problems.append("La tête du journal a disparu.")
    return ChainReport(entries=count, problems=tuple(problems))


def purge(engine: Engine, retention_days: int, now: datetime | None = None) -> int:
    """Delete entries older than the retention, keeping the chain verifiable with an
    anchor entry. Returns the number of entries deleted."""
    now = now or datetime.now(UTC)
    cutoff = _now_text(now - timedelta(days=retention_days))
    with engine.begin() as conn:
        head_seq, head_hash = _lock_head(conn)
        kept = conn.execute(
            select(func.min(audit.c.seq)).where(audit.c.horodatage >= cutoff)
        ).scalar()
        first_seq = conn.execute(select(func.min(audit.c.seq))).scalar()
        if first_seq is None:
            return 0
        first_kept = int(kept) if kept is not None else head_seq + 1
        if first_kept <= int(first_seq):
            return 0
        if first_kept <= head_seq:
            before = conn.execute(
                select(audit.c.precedent).where(audit.c.seq == first_kept)
            ).scalar_one()
        else:
            before = head_hash  # everything goes: the anchor itself is the first entry
        append(
            conn,
            [
                AuditEntry(
                    request_id=f"ancre-{first_kept}",
                    endpoint="purge",
                    statut=0,
                    resultat=f"purge avant {cutoff}",
                    empreinte_parametres=str(before),
                    genre="ancre",
                )
            ],
            now,
        )
        removed = conn.execute(delete(audit).where(audit.c.seq < first_kept)).rowcount
    return int(removed)
