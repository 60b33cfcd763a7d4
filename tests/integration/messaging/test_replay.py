"""Operations replay dead letters back to their topic: once, up to the end seen at start."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.base import make_metadata
from shared.db.session import create_engine, create_session_factory
from shared.db.tables import add_infrastructure_tables
from shared.db.uow import UnitOfWork
from shared.events.envelope import Envelope
from shared.events.registry import dlq_topic
from shared.events.transition import TransitionUpcomingV1
from shared.messaging.consumer import ConsumerRunner
from shared.messaging.kafka import KafkaPublisher, ensure_topics
from shared.messaging.replay import REPLAYED_FROM, replay_dead_letters
from shared.settings import ConsumerSettings, DatabaseSettings
from tests.conftest import BrokerHandle, DatabaseFactory
from tests.integration.kafka_reading import read_topic
from tests.integration.messaging.test_backbone import produce, upcoming


@pytest.fixture
async def topic(broker: BrokerHandle) -> str:
    """A topic and its dead-letter topic of this test alone."""
    name = f"test.{uuid.uuid4().hex[:10]}"
    await ensure_topics(broker.kafka_settings(), [name, dlq_topic(name)])
    return name


async def test_dead_letters_are_replayed_once_without_their_error_headers(
    broker: BrokerHandle, topic: str
) -> None:
    # acks=all: on a replicated topic the end offset (high watermark) includes a record
    # only once the in-sync replicas have it, and the replay stops at the end it sees.
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(
                dlq_topic(topic),
                f"event-{n}".encode(),
                key=f"case-{n}".encode(),
                headers=[
                    ("content-type", b"application/cloudevents+json"),
                    ("dlq-error-type", b"RuntimeError"),
                    ("dlq-attempts", b"5"),
                ],
            )
    finally:
        await producer.stop()
    group = f"replay-{uuid.uuid4().hex[:6]}"

    first = await replay_dead_letters(broker.kafka_settings(), topic, group_id=group)
    second = await replay_dead_letters(broker.kafka_settings(), topic, group_id=group)

    assert first.replayed == 3
    assert sum(first.per_partition.values()) == 3
    assert first.incomplete == []
    assert second.replayed == 0
    records = await read_topic(broker, topic, 3, 30)
    assert sorted(r.value for r in records) == [b"event-0", b"event-1", b"event-2"]
    for record in records:
        headers = dict(record.headers)
        assert headers["content-type"] == b"application/cloudevents+json"
        assert not any(k.startswith("dlq-") for k in headers)
        assert headers[REPLAYED_FROM].startswith(dlq_topic(topic).encode())


@pytest.fixture
async def sessions(
    postgres_database: DatabaseFactory,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh database with the infrastructure tables."""
    metadata = make_metadata()
    add_infrastructure_tables(metadata)
    engine = create_engine(DatabaseSettings(URL=postgres_database("replay")))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


async def _wait_for_dead_letters(broker: BrokerHandle, topic: str, count: int) -> int:
    deadline = asyncio.get_running_loop().time() + 60
    seen = 0
    while asyncio.get_running_loop().time() < deadline:
        seen = len(await read_topic(broker, dlq_topic(topic), count, 2))
        if seen >= count:
            break
    return seen


async def test_messages_that_still_fail_are_replayed_once_per_run_never_in_a_loop(
    broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession], topic: str
) -> None:
    n = 6
    failures: list[str] = []

    async def still_broken(event: Envelope[TransitionUpcomingV1], uow: UnitOfWork) -> None:
        failures.append(str(event.id))
        raise RuntimeError("the cause is not fixed yet")

    publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-replay")
    runner = ConsumerRunner(
        service="tests",
        group_id=f"replay-{uuid.uuid4().hex[:8]}",
        handlers={topic: still_broken},
        uow_factory=lambda: UnitOfWork(sessions),
        publisher=publisher,
        kafka=broker.kafka_settings(),
        settings=ConsumerSettings(MAX_ATTEMPTS=1),
    )
    await produce(broker, topic, *(upcoming(uuid.uuid4(), k) for k in range(n)))
    task = asyncio.create_task(runner.run())
    group = f"ops-{uuid.uuid4().hex[:6]}"
    try:
        assert await _wait_for_dead_letters(broker, topic, n) == n

        # The consumer keeps running: every replayed message fails and is dead-lettered
        # again while the replay is still going.
        first = await asyncio.wait_for(
            replay_dead_letters(broker.kafka_settings(), topic, group_id=group), timeout=120
        )
        assert first.replayed == n
        assert await _wait_for_dead_letters(broker, topic, 2 * n) == 2 * n

        second = await asyncio.wait_for(
            replay_dead_letters(broker.kafka_settings(), topic, group_id=group), timeout=120
        )
        assert second.replayed == n, "only the dead letters written since the first run"
        assert await _wait_for_dead_letters(broker, topic, 3 * n) == 3 * n
    finally:
        runner.stop()
        await task
        await publisher.stop()
    assert len(failures) == 3 * n
    dead = await read_topic(broker, dlq_topic(topic), 10 * n, 3)
    assert len(dead) == 3 * n, "nothing replays by itself"
