"""The delivery guarantees of the backbone, against the real broker and database.

Outbox: nothing lost while the broker is down, order per key kept. Inbox: one effect per
event id, also for concurrent duplicates. Poison messages end in `<topic>.dlq`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import UTC, date, datetime

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from sqlalchemy import Column, Integer, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.base import make_metadata
from shared.db.session import create_engine, create_session_factory
from shared.db.tables import add_infrastructure_tables
from shared.db.uow import UnitOfWork
from shared.events.envelope import Envelope, make_event
from shared.events.registry import dlq_topic
from shared.events.transition import TransitionUpcomingV1
from shared.messaging.consumer import ConsumerRunner
from shared.messaging.kafka import KafkaPublisher, ensure_topics
from shared.messaging.relay import OutboxRelay
from shared.settings import ConsumerSettings, DatabaseSettings, RelaySettings
from tests.conftest import BrokerHandle, DatabaseFactory
from tests.integration.kafka_reading import read_topic

metadata = make_metadata()
add_infrastructure_tables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("case_id", String(36), nullable=False),
)


@pytest.fixture
async def sessions(
    postgres_database: DatabaseFactory,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh database with the infrastructure tables and an `effects` table."""
    engine = create_engine(DatabaseSettings(URL=postgres_database("backbone")))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


def upcoming(case_id: uuid.UUID, n: int) -> Envelope[TransitionUpcomingV1]:
    """A distinct event for `case_id`; `n` is encoded in the end date to check order."""
    return make_event(
        TransitionUpcomingV1(
            case_id=case_id,
            owner_org="agentur-hagen",
            alg1_end_date=date.fromordinal(date(2026, 1, 1).toordinal() + n),
            invitation_date=date(2025, 10, 1),
            scheduled_at=datetime.now(UTC),
        ),
        source="/tests",
        subject=str(case_id),
    )


class TestOutboxRelay:
    """State change and event commit together; the relay publishes after the fact."""

    async def test_events_staged_while_broker_paused_arrive_in_order_after_resume(
        self, broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        cases = [uuid.uuid4() for _ in range(3)]
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-relay")
        relay = OutboxRelay(
            f"relay-{uuid.uuid4().hex[:6]}",
            sessions,
            publisher,
            RelaySettings(POLL_INTERVAL_SECONDS=0.5),
        )
        # One event before the outage, so the producer is connected when the broker stops.
        async with UnitOfWork(sessions, relay.signal) as uow:
            await uow.publish(upcoming(cases[0], 0))
            await uow.commit()
        task = asyncio.create_task(relay.run())
        try:
            assert len(await read_topic(broker, "transition.upcoming", 1, 5)) >= 1
            broker.pause()
            try:
                for n in range(1, 11):
                    async with UnitOfWork(sessions, relay.signal) as uow:
                        await uow.publish(upcoming(cases[n % 3], n))
                        await uow.commit()
                await asyncio.sleep(1.0)
                async with sessions() as session:
                    unsent = await session.scalar(
                        select(func.count())
                        .select_from(metadata.tables["outbox"])
                        .where(metadata.tables["outbox"].c.sent_at.is_(None))
                    )
                assert unsent == 10, "nothing can be sent while the broker is paused"
            finally:
                broker.resume()
            mine = {str(c) for c in cases}
            deadline = asyncio.get_running_loop().time() + 60
            got: list[ConsumerRecord[bytes, bytes]] = []
            while asyncio.get_running_loop().time() < deadline:
                records = await read_topic(broker, "transition.upcoming", 10_000, 2)
                got = [r for r in records if r.key is not None and r.key.decode() in mine]
                if len(got) >= 11:
                    break
        finally:
            relay.stop()
            await task
            await publisher.stop()
        ends = [Envelope[TransitionUpcomingV1].model_validate_json(r.value or b"") for r in got]
        ids = [e.id for e in ends]
        assert len(set(ids)) == 11, "every staged event arrives"
        for case in cases:
            order = [e.data.alg1_end_date for e in ends if e.data.case_id == case]
            assert order == sorted(order), "events of a case keep their order"
        async with sessions() as session:
            unsent = await session.scalar(
                select(func.count())
                .select_from(metadata.tables["outbox"])
                .where(metadata.tables["outbox"].c.sent_at.is_(None))
            )
        assert unsent == 0

    async def test_two_replicas_publish_every_event_exactly_once(
        self, broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        publishers = [
            KafkaPublisher(broker.kafka_settings(), client_id=f"replica-{n}") for n in range(2)
        ]
        relays = [
            OutboxRelay(
                "two-replicas",
                sessions,
                publisher,
                RelaySettings(POLL_INTERVAL_SECONDS=0.5, BATCH_SIZE=20),
            )
            for publisher in publishers
        ]
        tasks = [asyncio.create_task(relay.run()) for relay in relays]
        case = uuid.uuid4()
        staged = []
        try:
            for n in range(60):
                async with UnitOfWork(sessions, relays[n % 2].signal) as uow:
                    event = upcoming(case, n)
                    await uow.publish(event)
                    await uow.commit()
                staged.append(event.id)
            key = str(case).encode()
            records: list[ConsumerRecord[bytes, bytes]] = []
            deadline = asyncio.get_running_loop().time() + 60
            while len(records) < 60 and asyncio.get_running_loop().time() < deadline:
                everything = await read_topic(broker, "transition.upcoming", 1_000_000, 2)
                records = [r for r in everything if r.key == key]
        finally:
            for relay in relays:
                relay.stop()
            await asyncio.gather(*tasks)
            for publisher in publishers:
                await publisher.stop()
        events = [
            Envelope[TransitionUpcomingV1].model_validate_json(r.value or b"") for r in records
        ]
        assert [e.id for e in events] == staged, "each event once, in commit order"

    async def test_only_one_relay_holds_the_lock(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        from shared.messaging.memory import InMemoryPublisher

        first = OutboxRelay("svc", sessions, InMemoryPublisher(), RelaySettings())
        second = OutboxRelay("svc", sessions, InMemoryPublisher(), RelaySettings())
        try:
            assert await first.lock.acquire() is True
            assert await second.lock.acquire() is False
            assert await first.lock.acquire() is True, "the holder keeps it"
            await first.lock.release()
            assert await second.lock.acquire() is True, "a released lock is taken over"
        finally:
            await first.lock.release()
            await second.lock.release()


class TestRelayLosingItsLock:
    """A relay whose lock connection was terminated stops publishing within its batch."""

    async def test_stops_mid_batch_when_its_lock_connection_is_terminated(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        from sqlalchemy import text

        from shared.messaging.memory import InMemoryPublisher

        relay: OutboxRelay

        class SlowPublisher(InMemoryPublisher):
            """Each send blocks a while (a full producer buffer), as a slow broker makes it."""

            async def send(
                self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
            ) -> Awaitable[object]:
                await asyncio.sleep(0.05)
                ack = await super().send(topic, key, value, headers)
                if len(self.records) == 3:
                    async with sessions() as session, session.begin():
                        await session.execute(
                            text("SELECT pg_terminate_backend(:pid)"),
                            {"pid": relay.lock.backend_pid},
                        )
                return ack

        async with UnitOfWork(sessions) as uow:
            for n in range(20):
                await uow.publish(upcoming(uuid.uuid4(), n))
            await uow.commit()
        publisher = SlowPublisher()
        relay = OutboxRelay("svc", sessions, publisher, RelaySettings(LOCK_RETRY_SECONDS=0.01))

        sent, failed = await relay.drain_once()

        assert failed is True
        assert 3 <= sent < 20
        assert relay.lock.held is False, "the relay knows it lost the lock"
        assert len(publisher.records) == sent
        async with sessions() as session:
            unsent = await session.scalar(
                select(func.count())
                .select_from(metadata.tables["outbox"])
                .where(metadata.tables["outbox"].c.sent_at.is_(None))
            )
        assert unsent == 20 - sent, "what was acknowledged is marked, the rest waits"


async def _count_effects(sessions: async_sessionmaker[AsyncSession], event_id: str) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(effects).where(effects.c.event_id == event_id)
        )
    return int(count or 0)


async def record_effect(event: Envelope[TransitionUpcomingV1], uow: UnitOfWork) -> None:
    """A handler whose effect is not idempotent by itself: only the inbox makes it so."""
    await uow.session.execute(
        insert(effects).values(event_id=str(event.id), case_id=str(event.data.case_id))
    )


@pytest.fixture
async def topic(broker: BrokerHandle) -> str:
    """A topic (and its dead-letter topic) of this test alone."""
    name = f"test.{uuid.uuid4().hex[:10]}"
    await ensure_topics(broker.kafka_settings(), [name, dlq_topic(name)])
    return name


def runner_for(
    broker: BrokerHandle,
    sessions: async_sessionmaker[AsyncSession],
    handler: object,
    group: str,
    publisher: KafkaPublisher,
    topic: str,
) -> ConsumerRunner:
    return ConsumerRunner(
        service="tests",
        group_id=group,
        handlers={topic: handler},  # type: ignore[dict-item]
        uow_factory=lambda: UnitOfWork(sessions),
        publisher=publisher,
        kafka=broker.kafka_settings(),
        settings=ConsumerSettings(MAX_ATTEMPTS=3, BACKOFF_INITIAL_SECONDS=0.05),
    )


async def produce(
    broker: BrokerHandle,
    topic: str,
    *events: Envelope[TransitionUpcomingV1],
    raw: bytes | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    await producer.start()
    try:
        if raw is not None:
            await producer.send_and_wait(topic, raw, key=b"poison")
        for event in events:
            await producer.send_and_wait(
                topic, event.model_dump_json().encode(), key=event.subject.encode()
            )
    finally:
        await producer.stop()


class TestInbox:
    """Redelivery of the same event has one effect."""

    async def test_same_event_delivered_twice_through_kafka_has_one_effect(
        self, broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession], topic: str
    ) -> None:
        event = upcoming(uuid.uuid4(), 1)
        marker = upcoming(uuid.uuid4(), 2)
        group = f"inbox-{uuid.uuid4().hex[:8]}"
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-inbox")
        await produce(broker, topic, event, event, marker)
        runner = runner_for(broker, sessions, record_effect, group, publisher, topic)
        task = asyncio.create_task(runner.run())
        try:
            for _ in range(600):
                if await _count_effects(sessions, str(marker.id)) == 1:
                    break
                await asyncio.sleep(0.1)
        finally:
            runner.stop()
            await task
            await publisher.stop()
        assert await _count_effects(sessions, str(marker.id)) == 1
        assert await _count_effects(sessions, str(event.id)) == 1

    async def test_concurrent_duplicates_have_one_effect(
        self, broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession], topic: str
    ) -> None:
        event = upcoming(uuid.uuid4(), 1)
        record = ConsumerRecord(
            topic=topic,
            partition=0,
            offset=0,
            timestamp=0,
            timestamp_type=0,
            key=event.subject.encode(),
            value=event.model_dump_json().encode(),
            checksum=None,
            serialized_key_size=0,
            serialized_value_size=0,
            headers=(),
        )

        async def slow_effect(ev: Envelope[TransitionUpcomingV1], uow: UnitOfWork) -> None:
            await record_effect(ev, uow)
            await asyncio.sleep(0.2)

        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-inbox2")
        runner = runner_for(broker, sessions, slow_effect, "concurrent", publisher, topic)
        outcomes = await asyncio.gather(runner.handle_record(record), runner.handle_record(record))
        await publisher.stop()
        assert sorted(outcomes) == ["duplicate", "processed"]
        assert await _count_effects(sessions, str(event.id)) == 1


class TestDeadLetters:
    """A message that always fails ends in `<topic>.dlq`; the consumer keeps going."""

    async def test_failing_message_goes_to_dlq_with_error_and_next_is_processed(
        self, broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession], topic: str
    ) -> None:
        poison = upcoming(uuid.uuid4(), 1)
        healthy = upcoming(uuid.uuid4(), 2)
        attempts: list[str] = []

        async def handler(event: Envelope[TransitionUpcomingV1], uow: UnitOfWork) -> None:
            if event.id == poison.id:
                attempts.append(str(event.id))
                raise RuntimeError("cannot apply this event")
            await record_effect(event, uow)

        group = f"dlq-{uuid.uuid4().hex[:8]}"
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-dlq")
        await produce(broker, topic, poison, healthy, raw=b"{not json")
        runner = runner_for(broker, sessions, handler, group, publisher, topic)
        task = asyncio.create_task(runner.run())
        try:
            for _ in range(600):
                if len(attempts) == 3 and await _count_effects(sessions, str(healthy.id)) == 1:
                    break
                await asyncio.sleep(0.1)
        finally:
            runner.stop()
            await task
            await publisher.stop()
        assert await _count_effects(sessions, str(healthy.id)) == 1
        assert len(attempts) == 3, "bounded retries"
        dead = await read_topic(broker, dlq_topic(topic), 2, 30)
        by_key = {r.key: dict(r.headers) for r in dead}
        poisoned = [dict(r.headers) for r in dead if r.value == poison.model_dump_json().encode()]
        assert poisoned, "the failing event is dead-lettered"
        assert poisoned[0]["dlq-error-type"] == b"RuntimeError"
        assert poisoned[0]["dlq-attempts"] == b"3"
        assert poisoned[0]["dlq-original-topic"] == topic.encode()
        assert by_key[b"poison"]["dlq-error-type"] == b"ValidationError"


class TestHousekeeping:
    """Sent outbox rows and old inbox ids are purged; unsent rows never are."""

    async def test_old_idempotency_keys_are_purged(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        from datetime import timedelta

        from sqlalchemy import insert

        from shared.messaging.memory import InMemoryPublisher

        keys = metadata.tables["idempotency_keys"]
        now = datetime.now(UTC)
        async with sessions() as session, session.begin():
            for name, age in (("old", timedelta(days=2)), ("fresh", timedelta(hours=1))):
                await session.execute(
                    insert(keys).values(
                        org="o",
                        key=name,
                        request_hash="h",
                        status_code=201,
                        response_body="{}",
                        response_headers={},
                        created_at=now - age,
                    )
                )
        relay = OutboxRelay("svc", sessions, InMemoryPublisher(), RelaySettings())

        assert await relay.purge(now) == (0, 0, 1)

        async with sessions() as session:
            assert list(await session.scalars(select(keys.c.key))) == ["fresh"]

    async def test_the_runtime_purges_in_its_housekeeping_job(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        from datetime import timedelta

        from shared.db.advisory import engine_of
        from shared.messaging.memory import InMemoryPublisher
        from shared.runtime import start_runtime
        from shared.settings import ServiceSettings

        keys = metadata.tables["idempotency_keys"]
        async with sessions() as session, session.begin():
            await session.execute(
                insert(keys).values(
                    org="o",
                    key="old",
                    request_hash="h",
                    status_code=201,
                    response_body="{}",
                    response_headers={},
                    created_at=datetime.now(UTC) - timedelta(days=2),
                )
            )
        url = engine_of(sessions).url.render_as_string(hide_password=False)
        settings = ServiceSettings(
            SERVICE_NAME="housekeeping-test",
            ENVIRONMENT="test",
            LOG_JSON=False,
            DB=DatabaseSettings(URL=url),
            CONSUMER=ConsumerSettings(ENABLED=False),
        )

        async with start_runtime(
            settings, uow_class=UnitOfWork, publisher=InMemoryPublisher()
        ) as runtime:
            assert set(runtime.jobs) == {"outbox-housekeeping"}
            # Its first run comes at start, the next one an hour later.
            async with asyncio.timeout(5):
                while True:
                    async with sessions() as session:
                        if not list(await session.scalars(select(keys.c.key))):
                            break
                    await asyncio.sleep(0.05)

    async def test_purge_respects_retention_and_never_touches_unsent_rows(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        from datetime import timedelta

        from sqlalchemy import update

        from shared.messaging.memory import InMemoryPublisher

        outbox = metadata.tables["outbox"]
        inbox = metadata.tables["inbox"]
        now = datetime.now(UTC)
        events = [upcoming(uuid.uuid4(), n) for n in range(4)]
        async with UnitOfWork(sessions) as uow:
            for event in events:
                await uow.publish(event)
            await uow.record_processed("g", events[0].id, "t")
            await uow.record_processed("g", events[1].id, "t")
            await uow.commit()
        async with sessions() as session, session.begin():
            old, recent = now - timedelta(days=10), now - timedelta(hours=1)
            await session.execute(
                update(outbox).where(outbox.c.event_id == events[0].id).values(sent_at=old)
            )
            await session.execute(
                update(outbox).where(outbox.c.event_id == events[1].id).values(sent_at=recent)
            )
            # events[2] unsent and created long ago: it must survive.
            await session.execute(
                update(outbox).where(outbox.c.event_id == events[2].id).values(created_at=old)
            )
            await session.execute(
                update(inbox)
                .where(inbox.c.event_id == events[0].id)
                .values(processed_at=now - timedelta(days=40))
            )
        relay = OutboxRelay("svc", sessions, InMemoryPublisher(), RelaySettings())

        assert await relay.purge(now) == (1, 1, 0)

        async with sessions() as session:
            left = set(await session.scalars(select(outbox.c.event_id)))
            seen = set(await session.scalars(select(inbox.c.event_id)))
        assert left == {events[1].id, events[2].id, events[3].id}
        assert seen == {events[1].id}
