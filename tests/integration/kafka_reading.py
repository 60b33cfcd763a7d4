"""Reading topics back from the real broker in tests."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from tests.conftest import BrokerHandle


async def read_topic(
    broker: BrokerHandle, topic: str, expected: int, timeout: float = 60.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topic` from the beginning until `expected` records arrived (or time is up)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


async def wait_for_keys(
    broker: BrokerHandle, topic: str, keys: set[str], timeout: float = 60.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Records of `topic` whose key is in `keys`, once every key was seen (or time is up)."""
    deadline = asyncio.get_running_loop().time() + timeout
    mine: list[ConsumerRecord[bytes, bytes]] = []
    while asyncio.get_running_loop().time() < deadline:
        records = await read_topic(broker, topic, 1_000_000, 2)
        mine = [r for r in records if r.key is not None and r.key.decode() in keys]
        if {r.key.decode() for r in mine if r.key is not None} >= keys:
            break
    return mine
