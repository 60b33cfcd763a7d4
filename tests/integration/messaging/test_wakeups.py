"""Wake-ups without a poll floor: NOTIFY across processes, the pipelined relay's order.

The relays here poll once an hour: what they publish within seconds was announced by the
NOTIFY of a commit on another engine (as another process's would be). The listener is
proven against a PostgreSQL server of its own that the test crashes and starts again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.broker import free_port
from services.postgres import FAST_SETTINGS, EmbeddedPostgres
from shared.db.notify import OUTBOX_CHANNEL, NotifyListener
from shared.db.session import create_engine, create_session_factory
from shared.db.uow import UnitOfWork
from shared.messaging.kafka import KafkaPublisher, make_consumer, set_fetch_max_wait
from shared.messaging.memory import InMemoryPublisher
from shared.messaging.relay import OutboxRelay
from shared.settings import DatabaseSettings, RelaySettings
from tests.conftest import BrokerHandle
from tests.integration.kafka_reading import read_topic
from tests.integration.messaging.test_backbone import metadata, upcoming

OUTBOX = metadata.tables["outbox"]
HOURLY = RelaySettings(POLL_INTERVAL_SECONDS=3600.0)


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for `condition`, far below the hourly poll; fail with `what` otherwise."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not within {timeout}s: {what}") from None


async def other_process_sessions(url: str) -> async_sessionmaker[AsyncSession]:
    """Sessions on an engine of their own, sharing no signal with the relay."""
    return create_session_factory(create_engine(DatabaseSettings(URL=url)))


@pytest.fixture
async def db_url(postgres_database: Callable[[str], str]) -> str:
    """A fresh database with the infrastructure tables."""
    url = postgres_database("wakeups")
    engine = create_engine(DatabaseSettings(URL=url))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    return url


async def stage(sessions: async_sessionmaker[AsyncSession], *events: object) -> None:
    """Commit events through a unit of work of its own (its NOTIFY goes with the commit)."""
    async with UnitOfWork(sessions) as uow:
        for event in events:
            await uow.publish(event)  # type: ignore[arg-type]
        await uow.commit()


async def running(relay: OutboxRelay) -> asyncio.Task[None]:
    """Start `relay` and wait until it holds the lock and its listener listens."""
    task = asyncio.create_task(relay.run())
    await until(lambda: relay.lock.held and relay.listener.listening.is_set(), 20, "relay up")
    return task


async def stopped(relay: OutboxRelay, task: asyncio.Task[None]) -> None:
    relay.stop()
    await asyncio.wait_for(task, timeout=10)


class TestRelayWakesOnNotify:
    async def test_rows_committed_by_another_engine_are_published_without_the_poll(
        self, db_url: str
    ) -> None:
        relay_sessions = create_session_factory(create_engine(DatabaseSettings(URL=db_url)))
        publisher = InMemoryPublisher()
        relay = OutboxRelay("wake", relay_sessions, publisher, HOURLY)
        task = await running(relay)
        writer = await other_process_sessions(db_url)
        try:
            await asyncio.sleep(0.3)  # the first drain found nothing; now it waits an hour
            case = uuid.uuid4()
            await stage(writer, upcoming(case, 0), upcoming(case, 1))
            await until(lambda: len(publisher.records) == 2, 10, "published after the commit")
        finally:
            await stopped(relay, task)

    async def test_a_rolled_back_transaction_wakes_nobody(self, db_url: str) -> None:
        listener = NotifyListener(db_url, {})
        woken = asyncio.Event()
        listener.subscribe(OUTBOX_CHANNEL, woken)
        task = asyncio.create_task(listener.run())
        writer = await other_process_sessions(db_url)
        try:
            await until(listener.listening.is_set, 20, "listening")
            woken.clear()  # set once on connecting
            async with UnitOfWork(writer) as uow:
                await uow.publish(upcoming(uuid.uuid4(), 0))
                await uow.rollback()
            await asyncio.sleep(0.5)
            assert not woken.is_set()
            await stage(writer, upcoming(uuid.uuid4(), 0))
            await until(woken.is_set, 10, "woken by the committed NOTIFY")
        finally:
            listener.stop()
            await asyncio.wait_for(task, timeout=10)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server this test may crash and restart."""
    server = EmbeddedPostgres(tmp_path / "cluster", port=free_port(), settings=FAST_SETTINGS)
    server.start()
    try:
        server.create_databases(["wakeups"])
        yield server
    finally:
        server.destroy()


class TestListenerAfterAnOutage:
    async def test_reconnects_after_postgres_restarts_and_wakes_again(
        self, own_postgres: EmbeddedPostgres
    ) -> None:
        url = own_postgres.async_url("wakeups")
        woken = asyncio.Event()
        listener = NotifyListener(url, {"jobs": [woken]}, backoff_max_seconds=0.5)
        task = asyncio.create_task(listener.run())

        def notify() -> None:
            with psycopg.connect(own_postgres.url("wakeups"), autocommit=True) as conn:
                conn.execute("NOTIFY jobs")

        try:
            await until(listener.listening.is_set, 20, "listening")
            woken.clear()
            await asyncio.to_thread(notify)
            await until(woken.is_set, 10, "woken before the outage")

            await asyncio.to_thread(own_postgres.stop, "immediate")
            await until(lambda: not listener.listening.is_set(), 10, "the loss noticed")
            await asyncio.sleep(1.0)  # reconnects fail and back off meanwhile
            woken.clear()
            await asyncio.to_thread(own_postgres.start)
            await until(lambda: listener.connections == 2, 20, "listening again")
            assert woken.is_set(), "after reconnecting every waiter is woken once"

            woken.clear()
            await asyncio.to_thread(notify)
            await until(woken.is_set, 10, "woken by a NOTIFY after the outage")
        finally:
            listener.stop()
            await asyncio.wait_for(task, timeout=10)


class FailingOnce(InMemoryPublisher):
    """Fails the acknowledgement of the records whose value is in `fail_once`, once each."""

    def __init__(self, fail_once: set[bytes]) -> None:
        super().__init__()
        self.fail_once = fail_once

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> Awaitable[object]:
        if value in self.fail_once:
            self.fail_once.discard(value)
            ack: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            ack.set_exception(ConnectionError("rejected"))
            return ack
        return await super().send(topic, key, value, headers)


class TestPipelinedRelayOrder:
    async def test_a_failed_record_keeps_later_records_of_its_case_unsent(
        self, db_url: str
    ) -> None:
        sessions = await other_process_sessions(db_url)
        a, b = uuid.uuid4(), uuid.uuid4()
        events = [upcoming(a, 0), upcoming(b, 0), upcoming(a, 1), upcoming(b, 1), upcoming(a, 2)]
        await stage(sessions, *events)
        publisher = FailingOnce({events[0].model_dump_json().encode()})
        relay = OutboxRelay("order", sessions, publisher, HOURLY)
        try:
            sent, failed = await relay.drain_once()

            assert (sent, failed) == (2, True)
            async with sessions() as session:
                rows = (
                    await session.execute(
                        select(OUTBOX.c.key, OUTBOX.c.sent_at, OUTBOX.c.last_error).order_by(
                            OUTBOX.c.id
                        )
                    )
                ).all()
            assert [(key, sent_at is not None) for key, sent_at, _ in rows] == [
                (str(a), False),
                (str(b), True),
                (str(a), False),
                (str(b), True),
                (str(a), False),
            ], "case a waits behind its failed first event; case b is done"
            assert rows[0].last_error == "ConnectionError"

            assert await relay.drain_once() == (3, False)
            published_a = [r.value for r in publisher.records if r.key == str(a).encode()]
            # The last copy of each event of case a comes in order (earlier copies of the
            # later events are dropped by the consumers' inbox).
            assert published_a[-3:] == [e.model_dump_json().encode() for e in events[0::2]]
        finally:
            await relay.lock.release()

    async def test_pipelined_batches_arrive_in_order_per_case_on_the_broker(
        self, db_url: str, broker: BrokerHandle
    ) -> None:
        sessions = await other_process_sessions(db_url)
        cases = [uuid.uuid4() for _ in range(5)]
        events = [upcoming(case, n) for n in range(40) for case in cases]
        await stage(sessions, *events)
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="pipelined")
        relay = OutboxRelay("pipelined", sessions, publisher, RelaySettings(BATCH_SIZE=64))
        mine = {str(case).encode() for case in cases}
        got: list[bytes | None] = []
        try:
            total = 0
            while total < len(events):
                sent, failed = await relay.drain_once()
                assert not failed
                total += sent
            deadline = asyncio.get_running_loop().time() + 60
            while len(got) < len(events) and asyncio.get_running_loop().time() < deadline:
                records = await read_topic(broker, "transition.upcoming", 100_000, 2)
                got = [r.value for r in records if r.key in mine]
        finally:
            await relay.lock.release()
            await publisher.stop()
        assert len(got) == len(events), "each event once"
        for case in cases:
            expected = [e.model_dump_json().encode() for e in events if e.subject == str(case)]
            assert [v for v in got if v in set(expected)] == expected


class TestFetchWait:
    async def test_the_consumer_can_switch_its_fetch_wait_on_this_aiokafka(
        self, broker: BrokerHandle
    ) -> None:
        consumer = make_consumer(
            broker.kafka_settings(),
            ["transition.upcoming"],
            f"fetch-wait-{uuid.uuid4().hex[:8]}",
            "fetch-wait",
            fetch_max_wait_ms=10,
        )
        await consumer.start()
        try:
            # Without it an idle consumer would keep asking the broker 100 times a second.
            assert set_fetch_max_wait(consumer, 500) is True
        finally:
            await consumer.stop()
