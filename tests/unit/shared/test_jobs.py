"""The periodic-job loop: interval, wake-up, full batches, stop and backoff (no lock, no I/O)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import exc as sa

from shared.jobs import PeriodicJob

HOUR = 3600.0


class Recorder:
    """Work that records when it ran and answers from a script (default: 0 items)."""

    def __init__(self, *answers: int | BaseException) -> None:
        self.answers = list(answers)
        self.started_at: list[float] = []
        self.ran = asyncio.Event()

    async def __call__(self) -> int:
        self.started_at.append(time.monotonic())
        self.ran.set()
        answer = self.answers.pop(0) if self.answers else 0
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def runs(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.started_at) < count:
                self.ran.clear()
                await self.ran.wait()


async def quiet_for(seconds: float, work: Recorder, runs: int) -> None:
    """Let the loop go on for `seconds` and check it ran no more than `runs` times."""
    await asyncio.sleep(seconds)
    assert len(work.started_at) == runs


@pytest.fixture
async def running() -> AsyncIterator[Callable[[PeriodicJob], Awaitable[None]]]:
    tasks: list[tuple[PeriodicJob, asyncio.Task[None]]] = []

    async def start(job: PeriodicJob) -> None:
        tasks.append((job, asyncio.create_task(job.run())))

    yield start
    for job, task in tasks:
        job.stop()
        await asyncio.wait_for(task, timeout=5)


def database_down() -> sa.OperationalError:
    return sa.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


class TestInterval:
    async def test_runs_at_once_then_once_per_interval(
        self, running: Callable[[PeriodicJob], Awaitable[None]]
    ) -> None:
        work = Recorder()
        await running(PeriodicJob("tick", work, interval_seconds=0.1))

        await work.runs(4)

        gaps = [b - a for a, b in zip(work.started_at, work.started_at[1:], strict=False)]
        assert all(gap >= 0.09 for gap in gaps), gaps

    async def test_waits_the_interval_between_runs(
        self, running: Callable[[PeriodicJob], Awaitable[None]]
    ) -> None:
        work = Recorder()
        await running(PeriodicJob("slow", work, interval_seconds=HOUR))

        await work.runs(1)
        await quiet_for(0.3, work, runs=1)

    async def test_a_full_batch_runs_again_without_waiting(
        self, running: Callable[[PeriodicJob], Awaitable[None]]
    ) -> None:
        work = Recorder(10, 10, 3)
        await running(PeriodicJob("batches", work, interval_seconds=HOUR, batch_size=10))

        await work.runs(3)
        await quiet_for(0.3, work, runs=3)


class TestWakeup:
    async def test_a_wakeup_runs_the_job_before_its_interval(
        self, running: Callable[[PeriodicJob], Awaitable[None]]
    ) -> None:
        wakeup = asyncio.Event()
        work = Recorder()
        await running(PeriodicJob("woken", work, interval_seconds=HOUR, wakeup=wakeup))
        await work.runs(1)

        wakeup.set()

        await work.runs(2, timeout=2)
        await quiet_for(0.3, work, runs=2)

    async def test_a_wakeup_during_a_run_is_not_lost(
        self, running: Callable[[PeriodicJob], Awaitable[None]]
    ) -> None:
        wakeup = asyncio.Event()
        release = asyncio.Event()
        started = asyncio.Event()
        runs = 0

        async def work() -> int:
            nonlocal runs
            runs += 1
            started.set()
            await release.wait()
            return 0

        await running(PeriodicJob("busy", work, interval_seconds=HOUR, wakeup=wakeup))
        await asyncio.wait_for(started.wait(), timeout=5)
        started.clear()
        wakeup.set()  # e.g. a delivery stored while the worker sends the previous batch
        release.set()

        await asyncio.wait_for(started.wait(), timeout=2)
        assert runs == 2


class TestStop:
    async def test_stop_lets_the_run_in_flight_finish(self) -> None:
        release = asyncio.Event()
        started = asyncio.Event()
        finished: list[str] = []

        async def work() -> int:
            started.set()
            await release.wait()
            finished.append("recorded")
            return 1

        job = PeriodicJob("graceful", work, interval_seconds=HOUR)
        loop = asyncio.create_task(job.run())
        await asyncio.wait_for(started.wait(), timeout=5)

        job.stop()
        await asyncio.sleep(0.1)
        assert not loop.done()
        release.set()

        await asyncio.wait_for(loop, timeout=2)
        assert finished == ["recorded"]

    async def test_stop_ends_the_wait_at_once(self) -> None:
        work = Recorder()
        job = PeriodicJob("idle", work, interval_seconds=HOUR)
        loop = asyncio.create_task(job.run())
        await work.runs(1)

        job.stop()

        await asyncio.wait_for(loop, timeout=1)
        assert len(work.started_at) == 1


class TestErrors:
    async def test_infrastructure_errors_back_off_then_the_interval_resumes(
        self, running: Callable[[PeriodicJob], Awaitable[None]]
    ) -> None:
        work = Recorder(database_down(), ConnectionError("reset"), database_down(), 0)
        job = PeriodicJob(
            "retrying",
            work,
            interval_seconds=HOUR,
            backoff_initial_seconds=0.05,
            backoff_max_seconds=0.2,
        )
        await running(job)

        # Far sooner than the hour-long interval: each failure is retried after its backoff.
        await work.runs(4, timeout=3)
        gaps = [b - a for a, b in zip(work.started_at, work.started_at[1:], strict=False)]
        # Steps 0.05, 0.1, 0.2 with jitter: never shorter than half a step, never over the cap.
        for gap, step in zip(gaps, [0.05, 0.1, 0.2], strict=True):
            assert step / 2 - 0.01 <= gap <= 0.2 + 0.15, gaps
        assert job.failures == 0
        await quiet_for(0.3, work, runs=4)

    async def test_consecutive_failures_are_counted_and_the_delay_capped(self) -> None:
        work = Recorder(*[database_down() for _ in range(6)])
        job = PeriodicJob(
            "capped",
            work,
            interval_seconds=HOUR,
            backoff_initial_seconds=0.01,
            backoff_max_seconds=0.04,
        )
        loop = asyncio.create_task(job.run())
        try:
            await work.runs(6, timeout=3)
            assert job.failures >= 5
            gaps = [b - a for a, b in zip(work.started_at, work.started_at[1:], strict=False)]
            assert max(gaps) <= 0.04 + 0.15, gaps
        finally:
            job.stop()
            await asyncio.wait_for(loop, timeout=2)

    async def test_other_errors_wait_for_the_interval(
        self, running: Callable[[PeriodicJob], Awaitable[None]]
    ) -> None:
        work = Recorder(ValueError("a bug, not an outage"))
        job = PeriodicJob(
            "buggy",
            work,
            interval_seconds=HOUR,
            backoff_initial_seconds=0.01,
            backoff_max_seconds=0.02,
        )
        await running(job)

        await work.runs(1)
        await quiet_for(0.3, work, runs=1)
        assert job.failures == 0
