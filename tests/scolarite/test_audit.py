"""The audit chain: tampering (modified, removed, reordered, tail cut, inserted) is
detected; concurrent writers keep one chain; the retention purge keeps it verifiable."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ardoise.scolarite import audit
from ardoise.scolarite.database import make_async_engine, make_engine, migrate
from ardoise.scolarite.schema import audit as table
from tests.scolarite.conftest import new_registry_url

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    url = new_registry_url(request.param, tmp_path_factory.mktemp("audit"), request)
    eng = make_engine(url, pool_size=8)
    migrate(eng)
    yield eng
    eng.dispose()


def entry(i: int) -> audit.AuditEntry:
    return audit.AuditEntry(
        request_id=f"req-{i}", endpoint="/v3/men/scolarites/identite", statut=200,
        resultat="trouve", empreinte_parametres=f"{i:064x}", jeton_id="j", recipient="13002526500013",
    )  # fmt: skip


def _async_twin(engine: Engine) -> AsyncEngine:
    return make_async_engine(engine.url.render_as_string(hide_password=False), pool_size=4)


def write(engine: Engine, n: int, when: datetime = T0) -> None:
    async def run() -> None:
        twin = _async_twin(engine)
        writer = audit.AuditWriter(audit.core_commit(twin), clock=lambda: when)
        for i in range(n):
            await writer.record(entry(i))
        await writer.close()
        await twin.dispose()

    asyncio.run(run())


def test_intact_chain(engine: Engine) -> None:
    write(engine, 10)
    report = audit.verify(engine)
    assert report.ok and report.entries == 10


def _swap(engine: Engine, a: int, b: int) -> None:
    cols = [c for c in table.columns if c.name != "seq"]
    with engine.begin() as conn:
        ra = conn.execute(select(*cols).where(table.c.seq == a)).one()._mapping
        rb = conn.execute(select(*cols).where(table.c.seq == b)).one()._mapping
        conn.execute(update(table).where(table.c.seq == a).values(**dict(rb)))
        conn.execute(update(table).where(table.c.seq == b).values(**dict(ra)))


@pytest.mark.parametrize(
    "tamper",
    ["modifie", "modifie_et_rehache", "supprime", "reordonne", "fin_coupee", "debut_coupe",
     "insere"],
)  # fmt: skip
def test_tampering_detected(engine: Engine, tamper: str) -> None:
    write(engine, 8)
    with engine.begin() as conn:
        if tamper == "modifie":
            conn.execute(update(table).where(table.c.seq == 4).values(resultat="inconnu"))
        elif tamper == "modifie_et_rehache":
            row = dict(conn.execute(select(table).where(table.c.seq == 4)).one()._mapping)
            row["statut"] = 404
            row["empreinte"] = audit.entry_hash(row)
            conn.execute(update(table).where(table.c.seq == 4).values(**row))
        elif tamper == "supprime":
            conn.execute(delete(table).where(table.c.seq == 5))
        elif tamper == "fin_coupee":
            conn.execute(delete(table).where(table.c.seq == 8))
        elif tamper == "debut_coupe":
            conn.execute(delete(table).where(table.c.seq <= 2))
        elif tamper == "insere":
            row = dict(conn.execute(select(table).where(table.c.seq == 8)).one()._mapping)
            row["seq"] = 9
            conn.execute(insert(table).values(**row))
    if tamper == "reordonne":
        _swap(engine, 3, 6)
    report = audit.verify(engine)
    assert not report.ok and report.problems
    assert all(isinstance(p, str) and p for p in report.problems)


def test_concurrent_writers_share_one_chain(engine: Engine) -> None:
    """Two writers on two engines (two "processes"), each with three concurrent callers:
    their batches interleave on the head lock and still make one chain."""

    async def run() -> list[int]:
        twins = [_async_twin(engine) for _ in range(2)]
        writers = [audit.AuditWriter(audit.core_commit(t), clock=lambda: T0) for t in twins]

        async def work(w: audit.AuditWriter, base: int) -> list[int]:
            return [await w.record(entry(base + i)) for i in range(40)]

        seqs = await asyncio.gather(*(work(writers[k % 2], k * 100) for k in range(6)))
        for w, t in zip(writers, twins, strict=True):
            await w.close()
            await t.dispose()
        return sorted(s for part in seqs for s in part)

    assert asyncio.run(run()) == list(range(1, 241))  # every caller got its own seq
    report = audit.verify(engine)
    assert report.ok and report.entries == 240


def test_retention_purge_keeps_chain_verifiable(engine: Engine) -> None:
    write(engine, 5, when=T0)
    write(engine, 3, when=T0 + timedelta(days=400))
    now = T0 + timedelta(days=401)
    removed = audit.purge(engine, retention_days=365, now=now)
    assert removed == 5
    report = audit.verify(engine)
    assert report.ok, report.problems
    with engine.connect() as conn:
        kinds = [r.genre for r in conn.execute(select(table.c.genre).order_by(table.c.seq))]
    assert kinds == ["appel"] * 3 + ["ancre"]
    write(engine, 2, when=now)  # the chain goes on after the anchor
    assert audit.verify(engine).ok
    with engine.begin() as conn:  # cutting the start again is still detected
        conn.execute(delete(table).where(table.c.seq == 6))
    assert not audit.verify(engine).ok


def test_purge_of_everything_and_nothing(engine: Engine) -> None:
    assert audit.purge(engine, 365, now=T0) == 0
    write(engine, 4, when=T0)
    assert audit.purge(engine, 365, now=T0 + timedelta(days=10)) == 0
    assert audit.purge(engine, 365, now=T0 + timedelta(days=800)) == 4
    report = audit.verify(engine)
    assert report.ok and report.entries == 1


def test_salted_parameter_hash() -> None:
    a = audit.params_hash("sel1", [("nomNaissance", "Dupont"), ("recipient", "1")])
    b = audit.params_hash("sel1", [("recipient", "1"), ("nomNaissance", "Dupont")])
    c = audit.params_hash("sel2", [("nomNaissance", "Dupont"), ("recipient", "1")])
    assert a == b != c and "Dupont" not in a


def test_writer_failure_is_reported(engine: Engine) -> None:
    async def run() -> None:
        before = set(threading.enumerate())
        bad = create_async_engine("sqlite+aiosqlite:////nonexistent-dir/x.db")
        writer = audit.AuditWriter(audit.core_commit(bad))
        with pytest.raises(audit.AuditUnavailable):
            await writer.record(entry(1), timeout=10)
        with pytest.raises(audit.AuditUnavailable):  # the writer goes on after a failure
            await writer.record(entry(2), timeout=10)
        await bad.dispose()
        # aiosqlite stops the worker thread of a failed connection by queueing a call that
        # answers on this loop: let those threads finish before asyncio.run closes the loop,
        # or they die on "Event loop is closed" and fail whichever test runs next.
        for thread in set(threading.enumerate()) - before:
            await asyncio.to_thread(thread.join, 10)

    asyncio.run(run())


def test_the_writers_lag_is_measured_for_metrics() -> None:
    """How long a call waits for its entry's commit: ``ardoise_audit_writer_lag_seconds``
    of ``/metrics`` (issue #17)."""
    from prometheus_client import REGISTRY

    def observed() -> tuple[float, float]:
        name = "ardoise_audit_writer_lag_seconds"
        count = REGISTRY.get_sample_value(f"{name}_count") or 0.0
        return count, REGISTRY.get_sample_value(f"{name}_sum") or 0.0

    async def slow_commit(entries: list[audit.AuditEntry], _at: datetime) -> list[int]:
        await asyncio.sleep(0.05)  # a commit that takes 50 ms
        return list(range(1, len(entries) + 1))

    async def run() -> None:
        writer = audit.AuditWriter(slow_commit)
        await asyncio.gather(*(writer.record(entry(i)) for i in range(3)))
        await writer.close()

    count, total = observed()
    asyncio.run(run())
    after_count, after_total = observed()
    assert after_count == count + 3
    assert after_total - total >= 3 * 0.05
