"""Writing raw records to the broker and reading whole topics back, for the fault scenarios."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from tests.conftest import BrokerHandle

RawRecord = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


async def produce(broker: BrokerHandle, records: Sequence[RawRecord]) -> None:
    """Send (topic, key, value, headers) records and wait for every acknowledgement."""
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for topic, key, value, headers in records:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def read_all(
    broker: BrokerHandle, topic: str, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` up to the end offsets seen once assigned, in partition order."""
    # Without a group the consumer is assigned every partition of the topic it subscribes.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout
        ends: dict[TopicPartition, int] | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
            if ends is None and consumer.assignment():
                ends = await consumer.end_offsets(list(consumer.assignment()))
            if ends is not None:
                positions = {tp: await _position(consumer, tp) for tp in ends}
                if all(positions[tp] >= end for tp, end in ends.items()):
                    return records
        raise TimeoutError(f"{topic} not read to its end within {timeout:.0f}s")
    finally:
        await consumer.stop()


async def _position(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int:
    position: int = await consumer.position(tp)
    return position


def read_topic(
    broker: BrokerHandle, topic: str, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """`read_all` from synchronous test code."""
    return asyncio.run(read_all(broker, topic, timeout))


def produce_sync(broker: BrokerHandle, records: Sequence[RawRecord]) -> None:
    """`produce` from synchronous test code."""
    asyncio.run(produce(broker, records))
