"""The transition scheduler: a lifespan task that one replica at a time runs under a DB lock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.settings import EligibilitySettings
from eligibility_api.use_cases.transitions import schedule_due_transitions
from shared.db.advisory import AdvisoryLock, engine_of
from shared.logging import get_logger
from shared.runtime import BackgroundTask, Runtime

log = get_logger(__name__)

LOCK_NAME = "transition-scheduler:eligibility_api"


class TransitionScheduler:
    """Every interval: take (or check) the advisory lock, then stage all due transitions."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        make_uow: Callable[[], EligibilityUnitOfWork],
        settings: EligibilitySettings,
    ) -> None:
        self._make_uow = make_uow
        self._settings = settings
        self.lock = AdvisoryLock(engine_of(sessions), LOCK_NAME)
        self._stopping = asyncio.Event()

    async def tick(self) -> int:
        """One round; returns how many transitions this replica staged (0 without the lock)."""
        staged = 0
        while await self.lock.acquire():
            count = await schedule_due_transitions(
                self._make_uow,
                lead_days=self._settings.TRANSITION_LEAD_DAYS,
                batch_size=self._settings.SCHEDULER_BATCH_SIZE,
            )
            staged += count
            if count < self._settings.SCHEDULER_BATCH_SIZE or self._stopping.is_set():
                break
        return staged

    async def run(self) -> None:
        """Tick until stopped; errors are logged and retried on the next tick."""
        try:
            while not self._stopping.is_set():
                try:
                    await self.tick()
                except Exception:
                    log.exception("eligibility.scheduler.error")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), timeout=self._settings.SCHEDULER_INTERVAL_SECONDS
                    )
        finally:
            with contextlib.suppress(Exception):
                await self.lock.release()

    def stop(self) -> None:
        """Ask the loop to end after the current tick."""
        self._stopping.set()


def eligibility_uow_factory(runtime: Runtime) -> Callable[[], EligibilityUnitOfWork]:
    """The runtime's unit-of-work factory, typed for this service."""

    def make() -> EligibilityUnitOfWork:
        uow = runtime.make_uow()
        if not isinstance(uow, EligibilityUnitOfWork):
            raise TypeError("the runtime was not started with EligibilityUnitOfWork")
        return uow

    return make


def transition_scheduler_task(settings: EligibilitySettings) -> BackgroundTask:
    """The background task start_runtime runs for the scheduler."""

    async def run(runtime: Runtime) -> None:
        scheduler = TransitionScheduler(
            runtime.sessions, eligibility_uow_factory(runtime), settings
        )
        runtime.resources["transition_scheduler"] = scheduler
        await scheduler.run()

    return run
