"""The transition scheduler end to end: real broker, real database, replicas and a restart.

Case facts arrive on Kafka, the consumers project them, the scheduler stages
transition.upcoming, the relay publishes it; the topic is read back with a plain consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI

from eligibility_api.adapters.facts_mapping import to_person_facts
from eligibility_api.app import create_app
from eligibility_api.domain.engine import evaluate
from shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE, Envelope
from shared.events.registry import decode
from shared.events.transition import TransitionUpcomingV1
from shared.messaging.kafka import KafkaPublisher, topic_partitions
from shared.settings import KafkaSettings
from tests.conftest import BrokerHandle
from tests.integration.eligibility.conftest import (
    FakeClock,
    alg1_facts,
    case_registered,
    case_updated,
    make_settings,
)

pytestmark = pytest.mark.kafka

Key = tuple[uuid.UUID, date]


class TopicReader:
    """Reads transition.upcoming from the beginning, keeping this test's cases only."""

    def __init__(self, kafka: KafkaSettings, cases: set[uuid.UUID]) -> None:
        self._kafka = kafka
        self._cases = cases
        self.events: list[tuple[uuid.UUID, TransitionUpcomingV1]] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TopicReader:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._kafka.BOOTSTRAP_SERVERS,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        partitions = await topic_partitions(self._kafka, TransitionUpcomingV1.TOPIC)
        if not partitions:
            raise RuntimeError("transition.upcoming has no partitions")
        await consumer.start()
        tps = [TopicPartition(TransitionUpcomingV1.TOPIC, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._read(consumer))
        return self

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        assert record.value is not None
                        envelope = decode(record.value)
                        data = envelope.data
                        if isinstance(data, TransitionUpcomingV1) and data.case_id in self._cases:
                            assert record.key == str(data.case_id).encode()
                            self.events.append((envelope.id, data))
        finally:
            await consumer.stop()

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def keys(self) -> Counter[Key]:
        """How many distinct events announced each (case, end date).

        Distinct by CloudEvents id: the outbox relay is at-least-once, so a relay stopped
        between the broker's ack and marking the row sent re-sends the *same* event, which
        consumers drop in their inbox. A second announcement would carry a new id.
        """
        return Counter((e.case_id, e.alg1_end_date) for e in dict(self.events).values())

    def records(self) -> int:
        """Records read, redeliveries included."""
        return len(self.events)

    async def wait_for(self, expected: set[Key], timeout: float = 90) -> None:
        """Until every expected announcement arrived."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not expected <= set(self.keys()):
            if asyncio.get_running_loop().time() > deadline:
                missing = expected - set(self.keys())
                raise AssertionError(f"missing transition.upcoming for {missing}")
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def replica(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run one replica's lifespan (consumers, relay, scheduler) until the block ends."""
    async with app.router.lifespan_context(app):
        yield app


async def publish(kafka: KafkaSettings, events: Sequence[Envelope[Any]]) -> None:
    """Publish events as handover_api's relay would (key = case id, structured mode)."""
    publisher = KafkaPublisher(kafka, client_id="test-handover")
    try:
        for event in events:
            await publisher.publish(
                event.topic,
                event.subject.encode(),
                event.model_dump_json().encode(),
                [("content-type", CLOUDEVENTS_CONTENT_TYPE.encode())],
            )
    finally:
        await publisher.stop()


async def test_once_per_end_date_across_a_restart_and_two_replicas(
    broker: BrokerHandle, migrated_url: str
) -> None:
    kafka = broker.kafka_settings()
    clock = FakeClock(date(2026, 1, 15))

    def make_replica() -> FastAPI:
        settings = make_settings(
            migrated_url,
            kafka=kafka,
            relay=True,
            consumers=True,
            scheduler=True,
            SCHEDULER_INTERVAL_SECONDS=0.1,
            SCHEDULER_BATCH_SIZE=4,
        )
        return create_app(settings, clock=clock)

    # 12-month claims: start → end (the engine's § 154 calendar counting).
    due_now = {uuid.uuid4(): s for s in (date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1))}
    due_now |= {uuid.uuid4(): date(2025, 3, d) for d in range(2, 9)}
    due_later = {uuid.uuid4(): date(2025, 5, d) for d in range(1, 7)}  # ends 2026-04-30..05-05
    ended = {uuid.uuid4(): date(2024, 11, 1)}  # ended 2025-10-31
    moved = list(due_now)[:2]  # get a new end date while announced already
    cases = set(due_now) | set(due_later) | set(ended)

    async with TopicReader(kafka, cases) as reader:
        replica_a = contextlib.AsyncExitStack()
        replica_b = contextlib.AsyncExitStack()
        replica_c = contextlib.AsyncExitStack()
        try:
            await replica_a.enter_async_context(replica(make_replica()))
            await replica_b.enter_async_context(replica(make_replica()))
            await publish(
                kafka,
                [
                    case_registered(alg1_facts(start), case_id=case)
                    for case, start in {**due_now, **due_later, **ended}.items()
                ],
            )
            announced_now = {(c, _end(s)) for c, s in due_now.items()}
            await reader.wait_for(announced_now)
            # Nothing early: the later ends are more than 90 days away today.
            assert set(reader.keys()) == announced_now

            # New work arrives (changed end dates, a later day) and replica A restarts in the
            # middle of it while B keeps running.
            await publish(
                kafka, [case_updated(case, alg1_facts(date(2025, 4, 15))) for case in moved]
            )
            clock.today = date(2026, 2, 5)
            await asyncio.sleep(0.3)
            await replica_a.aclose()
            await replica_c.enter_async_context(replica(make_replica()))
            expected = (
                announced_now
                | {(c, _end(s)) for c, s in due_later.items()}
                | {(c, _end(date(2025, 4, 15))) for c in moved}
            )
            await reader.wait_for(expected)
            # Give a duplicate every chance to show up before judging.
            await asyncio.sleep(3)
        finally:
            await replica_c.aclose()
            await replica_b.aclose()
            await replica_a.aclose()

    counts = reader.keys()
    assert set(counts) == expected
    assert all(n == 1 for n in counts.values()), counts
    assert not {c for c, _ in counts} & set(ended)
    # Redeliveries of one event only come from a relay stopped mid-publish; allow them, but no
    # more than the records of the restarted replica could have been in flight.
    assert reader.records() - len(counts) <= 1


def _end(start: date) -> date:
    """The ALG I end the engine forecasts for a 12-month claim starting on `start`."""
    decision = evaluate(to_person_facts(alg1_facts(start)).person, date(2026, 1, 15))
    assert decision.key_dates.alg1_end_date is not None
    return decision.key_dates.alg1_end_date
