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
    """Every record of `topic` up to the end offsets seen at the start, in partition order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()  # loads the cluster metadata, partitions included
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            raise LookupError(f"topic {topic} does not exist")
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            positions = {tp: await _position(consumer, tp) for tp in ends}
            if all(positions[tp] >= end for tp, end in ends.items()):
                break
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
        else:
            raise TimeoutError(f"{topic} not read to its end within {timeout:.0f}s")
        return records
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
