"""Replaying dead letters: `<topic>.dlq` back to `<topic>` after the cause was fixed.

Event ids do not change, so a consumer that applied an event meanwhile skips it (inbox).
The replay reads with its own consumer group and commits after each republish, so running
it again continues where it stopped instead of replaying twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from aiokafka import TopicPartition

from shared.events.registry import DLQ_SUFFIX, dlq_topic
from shared.messaging.kafka import KafkaPublisher, make_consumer
from shared.settings import KafkaSettings

REPLAYED_FROM = "replayed-from"


async def replay_dead_letters(
    settings: KafkaSettings,
    topic: str,
    *,
    group_id: str = "dlq-replay",
    limit: int | None = None,
    idle_seconds: float = 3.0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Republish dead letters of `topic` to it; returns how many were replayed."""
    if topic.endswith(DLQ_SUFFIX):
        raise ValueError("name the original topic, not its dead-letter topic")
    source = dlq_topic(topic)
    client_id = f"dlq-replay-{uuid.uuid4().hex[:8]}"
    consumer = make_consumer(settings, [source], group_id, client_id)
    publisher = KafkaPublisher(settings, client_id)
    replayed = 0
    await consumer.start()
    try:
        while limit is None or replayed < limit:
            batches = await consumer.getmany(timeout_ms=int(idle_seconds * 1000), max_records=100)
            if not batches:
                break
            for tp, records in batches.items():
                for record in records:
                    if limit is not None and replayed >= limit:
                        break
                    headers = [(k, v) for k, v in record.headers or () if not k.startswith("dlq-")]
                    headers.append(
                        (REPLAYED_FROM, f"{source}:{record.partition}:{record.offset}".encode())
                    )
                    await publisher.publish(topic, record.key or b"", record.value or b"", headers)
                    await consumer.commit(
                        {TopicPartition(tp.topic, tp.partition): record.offset + 1}
                    )
                    replayed += 1
                    if progress is not None:
                        progress(replayed)
    finally:
        await consumer.stop()
        await publisher.stop()
    return replayed
