"""Periodic jobs guarded by a PostgreSQL advisory lock: one replica at a time runs the work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.advisory import AdvisoryLock
from shared.db.session import create_engine
from shared.jobs import PeriodicJob
from shared.settings import DatabaseSettings
from tests.conftest import DatabaseFactory

pytestmark = pytest.mark.postgres


@pytest.fixture
async def engine(postgres_database: DatabaseFactory) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(URL=postgres_database("jobs")))
    try:
        yield engine
    finally:
        await engine.dispose()


class Replica:
    """One replica's copy of a locked job, counting its runs."""

    def __init__(self, engine: AsyncEngine, name: str = "nightly", interval: float = 0.05) -> None:
        self.runs = 0
        self.job = PeriodicJob(
            name, self.work, interval_seconds=interval, lock=AdvisoryLock(engine, name)
        )

    async def work(self) -> int:
        self.runs += 1
        return 1


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


class TestLockedJob:
    async def test_a_lock_held_by_another_replica_means_no_run(self, engine: AsyncEngine) -> None:
        first, second = Replica(engine), Replica(engine)

        assert await first.job.run_once() == 1
        assert await second.job.run_once() is None
        assert second.runs == 0

        assert first.job.lock is not None
        await first.job.lock.release()

    async def test_the_standby_takes_over_when_the_holder_stops(self, engine: AsyncEngine) -> None:
        first, second = Replica(engine), Replica(engine)
        holder = asyncio.create_task(first.job.run())
        await until(lambda: first.runs >= 2)
        standby = asyncio.create_task(second.job.run())
        try:
            # The standby retries the lock every interval and never runs meanwhile: let the
            # holder run several more intervals (however slow the machine) and check.
            await until(lambda: first.runs >= 6, timeout=30)
            assert second.runs == 0

            first.job.stop()
            await asyncio.wait_for(holder, timeout=5)
            ran = first.runs

            # The stopped holder released its lock: the standby runs from its next try.
            await until(lambda: second.runs >= 2)
            assert first.runs == ran
        finally:
            second.job.stop()
            await asyncio.wait_for(standby, timeout=5)
        assert second.job.lock is not None
        assert not second.job.lock.held

    async def test_jobs_of_other_names_do_not_block_each_other(self, engine: AsyncEngine) -> None:
        nightly, hourly = Replica(engine, "nightly"), Replica(engine, "hourly")

        assert await nightly.job.run_once() == 1
        assert await hourly.job.run_once() == 1

        for replica in (nightly, hourly):
            assert replica.job.lock is not None
            await replica.job.lock.release()

    async def test_a_holder_whose_connection_was_terminated_stops_running(
        self, engine: AsyncEngine
    ) -> None:
        first, second = Replica(engine), Replica(engine)
        assert await first.job.run_once() == 1
        assert first.job.lock is not None
        pid = first.job.lock.backend_pid
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # Termination is asynchronous: wait (bounded) until the backend is gone.
            async with asyncio.timeout(10):
                while await conn.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ):
                    await asyncio.sleep(0.02)

        # PostgreSQL freed the lock with the connection: the other replica has it now.
        assert await second.job.run_once() == 1
        assert await first.job.run_once() is None
        assert first.runs == 1

        assert second.job.lock is not None
        await second.job.lock.release()
