"""Ceilings on the stack's own broker and PostgreSQL: a raw produce→consume and insert+commit."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.messaging.kafka import ensure_topics
from shared.settings import ConsumerSettings, KafkaSettings

ROUND_TRIP_TOPIC = "bench.round-trip"
# aiokafka's own default, used when the services do not set a fetch wait of their own.
AIOKAFKA_FETCH_MAX_WAIT_MS = 500


def consumer_fetch_settings() -> dict[str, int]:
    """The fetch settings the services' consumers use (shared.settings.ConsumerSettings)."""
    consumer = ConsumerSettings()
    settings = {"fetch_max_wait_ms": AIOKAFKA_FETCH_MAX_WAIT_MS}
    for name, value in consumer.model_dump().items():
        key = name.lower()
        if key.startswith("fetch_") and isinstance(value, int):
            settings[key] = value
    return settings


@dataclass(frozen=True)
class Timings:
    """Per-operation latencies of a sequential loop, and its rate."""

    count: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    settings: dict[str, Any]

    @property
    def per_second(self) -> float:
        """Operations per second."""
        return self.count / self.seconds if self.seconds else 0.0


def timings(samples: list[float], seconds: float, settings: dict[str, Any]) -> Timings:
    """Summarise latencies in seconds."""
    ordered = sorted(samples)
    return Timings(
        count=len(ordered),
        seconds=seconds,
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=ordered[-1] * 1000 if ordered else 0.0,
        settings=settings,
    )


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(int(-(-pct * len(ordered) // 100)), 1)
    return ordered[min(rank, len(ordered)) - 1]


async def kafka_round_trip(kafka: KafkaSettings, messages: int) -> Timings:
    """Produce one record (acks=all, as the relay does) and wait until a consumer has it."""
    await ensure_topics(kafka.model_copy(update={"TOPIC_PARTITIONS": 1}), [ROUND_TRIP_TOPIC])
    fetch = consumer_fetch_settings()
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.BOOTSTRAP_SERVERS,
        acks="all",
        enable_idempotence=kafka.ENABLE_IDEMPOTENCE,
        linger_ms=0,
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.BOOTSTRAP_SERVERS,
        group_id=None,
        enable_auto_commit=False,
        **fetch,
    )
    partition = TopicPartition(ROUND_TRIP_TOPIC, 0)
    await producer.start()
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.seek_to_end(partition)
        # One record first: connections and metadata are set up outside the measurement.
        await producer.send_and_wait(ROUND_TRIP_TOPIC, b"warm-up")
        await asyncio.wait_for(consumer.getone(), timeout=30)
        samples: list[float] = []
        started = time.perf_counter()
        for _ in range(messages):
            value = uuid.uuid4().bytes
            sent = time.perf_counter()
            await producer.send_and_wait(ROUND_TRIP_TOPIC, value)
            while (await asyncio.wait_for(consumer.getone(), timeout=30)).value != value:
                pass
            samples.append(time.perf_counter() - sent)
        return timings(samples, time.perf_counter() - started, {"consumer": fetch})
    finally:
        await consumer.stop()
        await producer.stop()


async def postgres_commits(admin_url: str, commits: int, concurrency: int) -> Timings:
    """INSERT + COMMIT of a small JSON row, `concurrency` connections at a time (psycopg)."""
    database = "bench_ceiling"
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as admin:
        await admin.execute(f"DROP DATABASE IF EXISTS {database}")
        await admin.execute(f"CREATE DATABASE {database}")
    url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as setup:
        await setup.execute(
            "CREATE TABLE rows (id uuid PRIMARY KEY, payload jsonb NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    samples: list[float] = []
    counter = iter(range(commits))

    async def worker() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            for _ in counter:
                sent = time.perf_counter()
                await conn.execute(
                    "INSERT INTO rows (id, payload) VALUES (%s, %s)",
                    (uuid.uuid4(), '{"case_id": "c", "status": "requested"}'),
                )
                await conn.commit()
                samples.append(time.perf_counter() - sent)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as admin:
        await admin.execute(f"DROP DATABASE IF EXISTS {database}")
    return timings(samples, seconds, {"concurrency": concurrency, "driver": "psycopg"})
