"""Transition scheduling on the database: once per (case, end date), crash- and replica-safe."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.app import transition_scheduler
from eligibility_api.consumers import on_case_registered, on_case_updated
from eligibility_api.use_cases.transitions import schedule_due_transitions
from shared.db.tables import OUTBOX
from shared.events.registry import decode
from shared.events.transition import TransitionUpcomingV1
from shared.jobs import PeriodicJob
from tests.integration.eligibility.conftest import (
    Db,
    alg1_facts,
    case_registered,
    case_updated,
    make_settings,
)

TODAY = date(2026, 1, 15)


async def register(db: Db, claim_start: date, case_id: uuid.UUID | None = None) -> uuid.UUID:
    """Project a case whose 12-month ALG I claim starts on `claim_start`."""
    event = case_registered(alg1_facts(claim_start), case_id=case_id)
    async with db.uow() as uow:
        await on_case_registered(event, uow)
        await uow.commit()
    return event.data.case_id


async def update(db: Db, case_id: uuid.UUID, claim_start: date) -> None:
    async with db.uow() as uow:
        await on_case_updated(case_updated(case_id, alg1_facts(claim_start)), uow)
        await uow.commit()


async def schedule(db: Db, batch_size: int = 50) -> int:
    return await schedule_due_transitions(db.uow, lead_days=90, batch_size=batch_size)


async def upcoming(db: Db) -> list[TransitionUpcomingV1]:
    """transition.upcoming events staged in the outbox, in order."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(OUTBOX.c.payload, OUTBOX.c.key)
            .where(OUTBOX.c.topic == TransitionUpcomingV1.TOPIC)
            .order_by(OUTBOX.c.id)
        )
        events = []
        for payload, key in rows:
            envelope = decode(payload.encode())
            assert key == str(envelope.data.case_id)
            events.append(envelope.data)
        return events


class TestWhatIsDue:
    async def test_end_within_lead_days_is_scheduled_once(self, db: Db) -> None:
        case_id = await register(db, date(2025, 4, 15))  # ends 2026-04-14

        assert await schedule(db) == 1
        assert await schedule(db) == 0

        [event] = await upcoming(db)
        assert event.case_id == case_id
        assert event.owner_org == "agentur-hagen"
        assert event.municipality == "Witten"
        assert event.alg1_end_date == date(2026, 4, 14)
        # 90 days before the end was yesterday: the invitation is due today.
        assert event.invitation_date == TODAY

    async def test_end_beyond_lead_days_waits_for_its_day(self, db: Db) -> None:
        await register(db, date(2025, 7, 1))  # ends 2026-06-30, trigger 2026-04-01

        assert await schedule(db) == 0
        db.clock.today = date(2026, 3, 31)
        assert await schedule(db) == 0
        db.clock.today = date(2026, 4, 1)
        assert await schedule(db) == 1

        [event] = await upcoming(db)
        assert event.invitation_date == date(2026, 4, 1)

    async def test_ended_claim_is_not_scheduled(self, db: Db) -> None:
        await register(db, date(2025, 1, 15))  # ended 2026-01-14

        assert await schedule(db) == 0

    async def test_end_today_is_still_scheduled(self, db: Db) -> None:
        await register(db, date(2025, 1, 17))  # ends 2026-01-15

        assert await schedule(db) == 1


class TestChangedEndDate:
    async def test_a_new_end_date_is_scheduled_again(self, db: Db) -> None:
        case_id = await register(db, date(2025, 4, 15))  # ends 2026-04-14
        await schedule(db)

        await update(db, case_id, date(2025, 3, 1))  # ends 2026-02-28
        assert await schedule(db) == 1

        assert [e.alg1_end_date for e in await upcoming(db)] == [
            date(2026, 4, 14),
            date(2026, 2, 28),
        ]

    async def test_back_to_an_announced_end_date_is_not_repeated(self, db: Db) -> None:
        case_id = await register(db, date(2025, 4, 15))
        await schedule(db)
        await update(db, case_id, date(2025, 3, 1))
        await schedule(db)

        await update(db, case_id, date(2025, 4, 15))

        assert await schedule(db) == 0
        assert len(await upcoming(db)) == 2


class TestFailures:
    async def test_crash_mid_batch_then_restart_misses_and_repeats_nothing(self, db: Db) -> None:
        cases = {await register(db, date(2025, 3, d)) for d in range(1, 11)}
        commits = 0

        class CrashingUow(EligibilityUnitOfWork):
            async def commit(self) -> None:
                nonlocal commits
                commits += 1
                if commits == 4:
                    raise ConnectionError("process killed")
                await super().commit()

        with pytest.raises(ConnectionError):
            await schedule_due_transitions(
                lambda: CrashingUow(db.sessions, clock=db.clock), lead_days=90, batch_size=50
            )
        assert len(await upcoming(db)) == 3

        assert await schedule(db) == 7

        assert sorted(e.case_id for e in await upcoming(db)) == sorted(cases)

    async def test_small_batches_cover_every_case(self, db: Db) -> None:
        cases = {await register(db, date(2025, 3, d)) for d in range(1, 8)}
        settings = make_settings(db.url, SCHEDULER_BATCH_SIZE=3, SCHEDULER_INTERVAL_SECONDS=3600)

        scheduler = transition_scheduler(db.engine, db.uow, settings)
        loop = asyncio.create_task(scheduler.run())
        try:
            # Full batches run again at once, well within the hour-long interval.
            async with asyncio.timeout(10):
                while len(await upcoming(db)) < 7:
                    await asyncio.sleep(0.05)
        finally:
            scheduler.stop()
            await asyncio.wait_for(loop, timeout=5)

        assert {e.case_id for e in await upcoming(db)} == cases
        assert scheduler.lock is not None
        assert not scheduler.lock.held


class TestReplicas:
    async def test_two_schedulers_racing_without_the_lock_publish_once(self, db: Db) -> None:
        # The lock normally keeps the second replica idle; the unique key holds even without.
        cases = {await register(db, date(2025, 3, d)) for d in range(1, 21)}

        counts = await asyncio.gather(schedule(db), schedule(db), schedule(db))

        assert sum(counts) == 20
        events = await upcoming(db)
        assert sorted(e.case_id for e in events) == sorted(cases)

    async def test_only_the_lock_holder_schedules(self, db: Db) -> None:
        await register(db, date(2025, 3, 1))
        settings = make_settings(db.url)
        first = transition_scheduler(db.engine, db.uow, settings)
        second = transition_scheduler(db.engine, db.uow, settings)

        assert await first.run_once() == 1
        assert await second.run_once() is None
        assert len(await upcoming(db)) == 1
        await release(first, second)

    async def test_a_released_lock_passes_to_the_other_replica(self, db: Db) -> None:
        settings = make_settings(db.url)
        first = transition_scheduler(db.engine, db.uow, settings)
        second = transition_scheduler(db.engine, db.uow, settings)
        assert await first.run_once() == 0
        await register(db, date(2025, 3, 1))

        assert await second.run_once() is None
        await release(first)
        assert await second.run_once() == 1
        await release(second)


async def release(*jobs: PeriodicJob) -> None:
    for job in jobs:
        assert job.lock is not None
        await job.lock.release()
