"""Periodic jobs: the one loop every service's background work runs in.

A job runs its work every interval, or at once when woken; a run that handled a full batch
runs again without waiting. A job may name when its next item is due (`next_due`), so it
sleeps until then instead of polling, and may own a NOTIFY listener that wakes it from
other processes (it runs while the job runs). With an advisory lock only the replica
holding it runs the work (the others retry the lock each interval). Infrastructure errors
back off with capped, jittered delays; other errors are logged and retried on the next
interval. `stop()` lets the run in flight finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from shared.db.advisory import AdvisoryLock
from shared.db.notify import NotifyListener
from shared.logging import get_logger
from shared.messaging.faults import backoff_delay, is_infrastructure_error
from shared.metrics import PERIODIC_JOB_DURATION, PERIODIC_JOB_RUNS

log = get_logger(__name__)

_MIN_DUE_WAIT_SECONDS = 0.05

Work = Callable[[], Awaitable[int]]
# Seconds until the job's next known item is due, or None if none is known.
NextDue = Callable[[], float | None]


class PeriodicJob:
    """A named job: `work` returns how many items it handled in one run."""

    def __init__(
        self,
        name: str,
        work: Work,
        *,
        interval_seconds: float,
        lock: AdvisoryLock | None = None,
        wakeup: asyncio.Event | None = None,
        batch_size: int | None = None,
        backoff_initial_seconds: float = 0.1,
        backoff_max_seconds: float = 30.0,
        next_due: NextDue | None = None,
        listener: NotifyListener | None = None,
    ) -> None:
        self.name = name
        self.lock = lock
        self.wakeup = wakeup or asyncio.Event()
        self._work = work
        self._interval = interval_seconds
        self._batch_size = batch_size
        self._backoff_initial = backoff_initial_seconds
        self._backoff_max = backoff_max_seconds
        self._next_due = next_due
        self.listener = listener
        self._stopping = asyncio.Event()
        self.failures = 0

    @property
    def stopping(self) -> bool:
        """Whether `stop()` was called."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """Ask the loop to end once the run in flight has finished."""
        self._stopping.set()
        self.wakeup.set()
        if self.listener is not None:
            self.listener.stop()

    async def run_once(self) -> int | None:
        """One run: the number of items handled, or None if another replica holds the lock."""
        if self.lock is not None and not await self.lock.acquire():
            PERIODIC_JOB_RUNS.labels(self.name, "skipped").inc()
            return None
        started = time.monotonic()
        handled = await self._work()
        PERIODIC_JOB_DURATION.labels(self.name).observe(time.monotonic() - started)
        PERIODIC_JOB_RUNS.labels(self.name, "done").inc()
        if handled:
            log.info("periodic_job.done", job=self.name, handled=handled)
        return handled

    async def run(self) -> None:
        """Run until stopped; the lock (if any) is released on the way out."""
        listening = (
            asyncio.create_task(self.listener.run(), name=f"listener:{self.name}")
            if self.listener is not None
            else None
        )
        try:
            while not self._stopping.is_set():
                handled = await self._guarded_run()
                if self._stopping.is_set():
                    break
                if self._batch_size is not None and (handled or 0) >= self._batch_size:
                    continue
                await self._wait(self._delay())
        finally:
            if self.lock is not None:
                with contextlib.suppress(Exception):
                    await self.lock.release()
            if listening is not None and self.listener is not None:
                self.listener.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(listening, timeout=2)
                listening.cancel()

    async def _guarded_run(self) -> int | None:
        try:
            handled = await self.run_once()
        except Exception as exc:
            if is_infrastructure_error(exc):
                # The database or broker is away: retry sooner than the interval, but
                # spread out, so replicas do not hammer a recovering server in lockstep.
                self.failures += 1
                PERIODIC_JOB_RUNS.labels(self.name, "unavailable").inc()
                log.warning(
                    "periodic_job.unavailable",
                    job=self.name,
                    error=type(exc).__name__,
                    consecutive=self.failures,
                )
            else:
                self.failures = 0
                PERIODIC_JOB_RUNS.labels(self.name, "failed").inc()
                log.exception("periodic_job.failed", job=self.name)
            return None
        self.failures = 0
        return handled

    def _delay(self) -> float:
        if self.failures:
            return backoff_delay(self.failures, self._backoff_initial, self._backoff_max)
        due = self._next_due() if self._next_due is not None else None
        if due is None:
            return self._interval
        # Never below a floor: an item due "now" that this run could not take (another
        # replica holds it) must not turn the wait into a busy loop.
        return min(self._interval, max(due, _MIN_DUE_WAIT_SECONDS))

    async def _wait(self, seconds: float) -> None:
        """Until the delay has passed, a wake-up or stop; a wake-up is consumed here."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wakeup.wait(), timeout=seconds)
        if not self._stopping.is_set():
            self.wakeup.clear()
