"""Consumer lag, DLQ counts and the scrape-time database gauges, on the real broker and database."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from shared.db.session import create_engine
from shared.db.uow import UnitOfWork
from shared.events.envelope import Envelope
from shared.events.transition import TransitionUpcomingV1
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.relay import OutboxRelay
from shared.metrics_collectors import (
    SCRAPED,
    GaugeFamily,
    Reading,
    ScrapedCollector,
    ScrapedGauges,
    outbox_gauges,
)
from shared.settings import DatabaseSettings, RelaySettings
from shared.web import health_router
from tests.conftest import BrokerHandle, DatabaseFactory
from tests.integration.messaging.test_backbone import (
    _count_effects,
    produce,
    record_effect,
    runner_for,
    sessions,
    topic,
    upcoming,
)

__all__ = ["sessions", "topic"]  # fixtures of the backbone tests, used here too


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def wait_until(check: object, timeout: float = 30.0) -> bool:
    """Poll `check()` (sync or async) until it is true or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return True
        await asyncio.sleep(0.05)
    return False


class TestConsumerMetrics:
    """Lag per group, topic and partition; records sent to `<topic>.dlq` by source topic."""

    async def test_lag_counts_unapplied_records_and_returns_to_zero(
        self, broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession], topic: str
    ) -> None:
        case_id = uuid.uuid4()  # one key: the five records share a partition
        events = [upcoming(case_id, n) for n in range(5)]
        release = asyncio.Event()

        async def held(event: Envelope[TransitionUpcomingV1], uow: UnitOfWork) -> None:
            await release.wait()
            await record_effect(event, uow)

        group = f"lag-{uuid.uuid4().hex[:8]}"
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-lag")
        await produce(broker, topic, *events)
        runner = runner_for(broker, sessions, held, group, publisher, topic)
        task = asyncio.create_task(runner.run())

        def lags() -> list[float]:
            return [
                s.value
                for metric in REGISTRY.collect()
                if metric.name == "kafka_consumer_lag_records"
                for s in metric.samples
                if s.labels["group"] == group and s.labels["topic"] == topic
            ]

        try:
            assert await wait_until(lambda: sum(lags()) == 5.0 and max(lags()) == 5.0), (
                f"the held batch counts as lag: {lags()}"
            )
            release.set()
            assert await wait_until(lambda: _count_effects(sessions, str(events[-1].id)))
            assert await wait_until(lambda: bool(lags()) and set(lags()) == {0.0}), (
                f"lag after consumption: {lags()}"
            )
        finally:
            release.set()
            runner.stop()
            await task
            await publisher.stop()
        assert lags() == [], "a stopped consumer reports no partition"

    async def test_poison_records_raise_the_dlq_count_of_their_source_topic(
        self, broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession], topic: str
    ) -> None:
        poison = upcoming(uuid.uuid4(), 1)
        healthy = upcoming(uuid.uuid4(), 2)

        async def handler(event: Envelope[TransitionUpcomingV1], uow: UnitOfWork) -> None:
            if event.id == poison.id:
                raise RuntimeError("cannot apply this event")
            await record_effect(event, uow)

        group = f"dlq-{uuid.uuid4().hex[:8]}"
        labels = {"service": "tests", "group": group, "topic": topic}
        assert sample("dlq_records_total", **labels) is None
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-dlq-metrics")
        await produce(broker, topic, poison, healthy, raw=b"{not json")
        runner = runner_for(broker, sessions, handler, group, publisher, topic)
        task = asyncio.create_task(runner.run())
        try:
            assert await wait_until(lambda: _count_effects(sessions, str(healthy.id)))
            assert await wait_until(lambda: sample("dlq_records_total", **labels) == 2.0)
        finally:
            runner.stop()
            await task
            await publisher.stop()
        # The undecodable record and the failing event; the healthy one was applied.
        assert sample("dlq_records_total", **labels) == 2.0
        assert (
            sample("events_consumed_total", service="tests", topic=topic, outcome="dead_lettered")
            or 0
        ) >= 2


class TestOutboxBacklog:
    """`/metrics` of the process running the relay shows the backlog and its age."""

    async def test_backlog_and_age_rise_while_the_broker_is_paused(
        self, broker: BrokerHandle, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        service = f"relay-{uuid.uuid4().hex[:6]}"
        publisher = KafkaPublisher(broker.kafka_settings(), client_id="test-backlog")
        relay = OutboxRelay(service, sessions, publisher, RelaySettings(POLL_INTERVAL_SECONDS=0.5))
        source = outbox_gauges(service, sessions.kw["bind"])
        SCRAPED.add(source)
        app = FastAPI()
        app.include_router(health_router())
        transport = httpx.ASGITransport(app=app)

        async def backlog() -> tuple[float, float]:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                answer = await client.get("/metrics")
            assert answer.status_code == 200
            values = {
                s.name: s.value
                for family in text_string_to_metric_families(answer.text)
                for s in family.samples
                if s.labels.get("service") == service
            }
            return (
                values.get("outbox_unsent_rows", -1.0),
                values.get("outbox_oldest_unsent_age_seconds", -1.0),
            )

        async def stage(n: int) -> None:
            async with UnitOfWork(sessions, relay.signal) as uow:
                await uow.publish(upcoming(uuid.uuid4(), n))
                await uow.commit()

        async def drained() -> bool:
            return await backlog() == (0.0, 0.0)

        async def waiting(min_age: float) -> bool:
            rows, age = await backlog()
            return rows == 3 and age > min_age

        await stage(0)  # connects the producer before the outage
        task = asyncio.create_task(relay.run())
        try:
            assert await wait_until(drained), "drained at first"
            broker.pause()
            try:
                for n in range(1, 4):
                    await stage(n)
                assert await wait_until(lambda: waiting(0.0)), "three rows wait"
                first_age = (await backlog())[1]
                assert await wait_until(lambda: waiting(first_age + 1)), (
                    "the oldest row ages while the broker is away"
                )
            finally:
                broker.resume()
            assert await wait_until(drained, timeout=60), "drained after the outage"
        finally:
            SCRAPED.remove(source)
            relay.stop()
            await task
            await publisher.stop()


FAMILY = GaugeFamily("test_rows", "rows")


class TestScrapedGauges:
    """A scrape never hangs on the database: bounded, cached, and honest when it fails."""

    @pytest.fixture
    def collector(self) -> ScrapedCollector:
        return ScrapedCollector()

    async def test_outbox_backlog_and_oldest_age_come_from_the_database(
        self, sessions: async_sessionmaker[AsyncSession], collector: ScrapedCollector
    ) -> None:
        engine = sessions.kw["bind"]
        source = outbox_gauges("tests", engine)
        collector.add(source)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO outbox (event_id, topic, key, payload, headers, created_at)"
                    " VALUES (:id, 't', 'k', '{}', '{}', now() - interval '90 seconds')"
                ),
                {"id": uuid.uuid4()},
            )
        await collector.refresh()
        values = {(m.name, s.name): s.value for m in collector.collect() for s in m.samples}
        assert values[("outbox_unsent_rows", "outbox_unsent_rows")] == 1.0
        age = values[("outbox_oldest_unsent_age_seconds", "outbox_oldest_unsent_age_seconds")]
        assert 90 <= age < 150
        assert values[("metrics_source_up", "metrics_source_up")] == 1.0

    async def test_a_slow_query_is_cut_off_and_its_families_left_out(
        self, postgres_database: DatabaseFactory, collector: ScrapedCollector
    ) -> None:
        engine = create_engine(DatabaseSettings(URL=postgres_database("slowmetrics")))

        async def slow(conn: AsyncConnection, now: object) -> Reading:
            await conn.execute(text("SELECT pg_sleep(10)"))
            return {"test_rows": {(): 1.0}}

        source = ScrapedGauges("slow", "tests", engine, [FAMILY], slow, timeout_seconds=0.5)
        collector.add(source)
        try:
            started = time.monotonic()
            await collector.refresh()
            assert time.monotonic() - started < 3
            names = {m.name: m for m in collector.collect()}
            assert "test_rows" not in names, "no stale or invented value"
            [up] = names["metrics_source_up"].samples
            assert up.value == 0.0
            assert up.labels == {"service": "tests", "source": "slow"}
        finally:
            await engine.dispose()

    async def test_an_unreachable_database_answers_up_zero_at_once_and_caches(
        self, collector: ScrapedCollector
    ) -> None:
        calls = 0

        async def read(conn: AsyncConnection, now: object) -> Reading:
            nonlocal calls
            calls += 1
            return {"test_rows": {(): 1.0}}

        # A closed port on loopback: the connection is refused.
        engine = create_engine(DatabaseSettings(URL="postgresql+psycopg://u:p@127.0.0.1:9/none"))
        source = ScrapedGauges("down", "tests", engine, [FAMILY], read, ttl_seconds=60)
        collector.add(source)
        try:
            started = time.monotonic()
            await collector.refresh()
            await collector.refresh()  # cached: no second attempt within the ttl
            assert time.monotonic() - started < 3
            assert calls == 0
            names = {m.name: m for m in collector.collect()}
            assert "test_rows" not in names
            assert names["metrics_source_up"].samples[0].value == 0.0
            assert names["metrics_source_last_success_timestamp_seconds"].samples == []
        finally:
            await engine.dispose()
