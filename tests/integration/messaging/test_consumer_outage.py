"""A PostgreSQL outage under a running consumer: no dead letters, every effect once, not ready.

The test starts a PostgreSQL server of its own so that it can crash it (`-m immediate`) and
start it again while the consumer keeps receiving events from the real broker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from services.broker import free_port
from services.postgres import FAST_SETTINGS, EmbeddedPostgres
from shared.db.session import create_engine
from shared.db.uow import UnitOfWork
from shared.events.registry import dlq_topic
from shared.messaging.kafka import ensure_topics
from shared.runtime import Runtime, start_runtime
from shared.settings import ConsumerSettings, DatabaseSettings, RelaySettings, ServiceSettings
from shared.web import health_router
from tests.conftest import BrokerHandle
from tests.integration.kafka_reading import read_topic
from tests.integration.messaging.test_backbone import metadata, produce, record_effect, upcoming

OUTAGE_SECONDS = 6.0


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server this test may crash and restart."""
    server = EmbeddedPostgres(tmp_path / "cluster", port=free_port(), settings=FAST_SETTINGS)
    server.start()
    try:
        server.create_databases(["outage"])
        yield server
    finally:
        server.destroy()


@pytest.fixture
async def topic(broker: BrokerHandle) -> str:
    """A topic and its dead-letter topic of this test alone."""
    name = f"test.{uuid.uuid4().hex[:10]}"
    await ensure_topics(broker.kafka_settings(), [name, dlq_topic(name)])
    return name


@pytest.fixture
async def service(
    own_postgres: EmbeddedPostgres, broker: BrokerHandle, topic: str
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """A service runtime consuming `topic` into `effects`, with its readiness endpoint."""
    url = own_postgres.async_url("outage")
    engine = create_engine(DatabaseSettings(URL=url))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    settings = ServiceSettings(
        SERVICE_NAME="outage-test",
        ENVIRONMENT="test",
        LOG_JSON=False,
        DB=DatabaseSettings(URL=url),
        KAFKA=broker.kafka_settings(),
        RELAY=RelaySettings(ENABLED=False),
        CONSUMER=ConsumerSettings(
            MAX_ATTEMPTS=2,
            BACKOFF_INITIAL_SECONDS=0.05,
            INFRA_BACKOFF_INITIAL_SECONDS=0.1,
            INFRA_BACKOFF_MAX_SECONDS=1.0,
        ),
    )
    group = f"outage-{uuid.uuid4().hex[:8]}"
    async with start_runtime(
        settings, uow_class=UnitOfWork, consumer_groups={group: {topic: record_effect}}
    ) as runtime:
        app = FastAPI()
        app.state.runtime = runtime
        app.include_router(health_router())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield runtime, client


def count_effects(server: EmbeddedPostgres) -> tuple[int, int]:
    """(rows, distinct event ids) in `effects`, read with a fresh connection."""
    with psycopg.connect(server.url("outage"), connect_timeout=3) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM effects").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> float:
    """Poll an async condition every 0.2 s; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await condition():
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {timeout}s: {what}")


async def test_a_database_outage_blocks_the_consumer_and_loses_nothing(
    own_postgres: EmbeddedPostgres,
    broker: BrokerHandle,
    topic: str,
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = service
    [runner] = runtime.consumers
    before = [upcoming(uuid.uuid4(), n) for n in range(10)]
    during = [upcoming(uuid.uuid4(), n) for n in range(10, 30)]

    async def applied(expected: int) -> bool:
        try:
            return await asyncio.to_thread(count_effects, own_postgres) == (expected, expected)
        except psycopg.OperationalError:
            return False

    async def readiness(status: int) -> bool:
        return (await client.get("/health/ready")).status_code == status

    await produce(broker, topic, *before)
    await wait_for(lambda: applied(10), 60, "the first events applied")
    await wait_for(lambda: readiness(200), 30, "ready before the outage")

    await asyncio.to_thread(own_postgres.stop, "immediate")
    outage_started = time.monotonic()
    await produce(broker, topic, *during)
    await wait_for(lambda: readiness(503), 10, "not ready while the database is down")
    await wait_for(
        lambda: asyncio.sleep(0, result=runner.blocked is not None), 10, "consumer blocked"
    )
    ready = (await client.get("/health/ready")).json()
    assert "blocked on infrastructure" in ready["checks"][f"consumer:{runner.group_id}"]
    assert ready["checks"]["database"] != "ok"
    await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))

    await asyncio.to_thread(own_postgres.start)
    drained = await wait_for(lambda: applied(30), 60, "every event applied after the outage")
    ready_again = await wait_for(lambda: readiness(200), 30, "ready again after the outage")

    rows, distinct = count_effects(own_postgres)
    assert (rows, distinct) == (30, 30), "every effect exactly once"
    ids = {str(e.id) for e in before + during}
    with psycopg.connect(own_postgres.url("outage")) as conn:
        assert {r[0] for r in conn.execute("SELECT event_id FROM effects")} == ids
    assert await read_topic(broker, dlq_topic(topic), 1, 3) == [], "nothing dead-lettered"
    assert runner.blocked is None
    print(  # noqa: T201 - the measured figures, shown with -s
        f"\noutage {OUTAGE_SECONDS:.0f}s: drained {drained:.1f}s after restart, "
        f"ready {ready_again:.1f}s later"
    )
