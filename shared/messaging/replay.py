"""Replaying dead letters: `<topic>.dlq` back to `<topic>` after the cause was fixed.

Event ids do not change, so a consumer that applied an event meanwhile skips it (inbox).
A replay reads the dead-letter topic's end offsets when it starts and stops there: a
message that fails again is dead-lettered once more, behind that end, and waits for the
next replay instead of looping. The replay commits after each republish in its own group,
so running it again continues where it stopped instead of replaying twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.events.registry import DLQ_SUFFIX, dlq_topic
from shared.messaging.kafka import KafkaPublisher, topic_partitions
from shared.settings import KafkaSettings

REPLAYED_FROM = "replayed-from"


@dataclass
class ReplayResult:
    """What one replay did: counts per partition of the dead-letter topic."""

    topic: str
    replayed: int = 0
    per_partition: dict[int, int] = field(default_factory=dict)
    # Partitions whose end offset (taken at start) was not reached: limit or no progress.
    incomplete: list[int] = field(default_factory=list)


async def replay_dead_letters(
    settings: KafkaSettings,
    topic: str,
    *,
    group_id: str = "dlq-replay",
    limit: int | None = None,
    idle_seconds: float = 10.0,
    progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Republish the dead letters of `topic` that exist now, up to their end offsets."""
    if topic.endswith(DLQ_SUFFIX):
        raise ValueError("name the original topic, not its dead-letter topic")
    source = dlq_topic(topic)
    client_id = f"dlq-replay-{uuid.uuid4().hex[:8]}"
    # Assigned, not subscribed: no group rebalance to wait for; the group only keeps offsets.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.BOOTSTRAP_SERVERS,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        security_protocol=settings.SECURITY_PROTOCOL,
        request_timeout_ms=max(settings.REQUEST_TIMEOUT_MS, 40000),
    )
    publisher = KafkaPublisher(settings, client_id)
    result = ReplayResult(topic=topic)
    await consumer.start()
    try:
        numbers = await topic_partitions(settings, source)
        if not numbers:
            raise ValueError(f"topic {source} does not exist")
        partitions = [TopicPartition(source, n) for n in numbers]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        result.per_partition = {tp.partition: 0 for tp in partitions}
        limited = False
        while pending and not limited:
            batches = await consumer.getmany(
                *pending, timeout_ms=int(idle_seconds * 1000), max_records=100
            )
            if not batches:
                break  # no progress within idle_seconds: report what is left
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        break
                    if limit is not None and result.replayed >= limit:
                        limited = True
                        break
                    await _republish(publisher, topic, source, record)
                    await consumer.commit({tp: record.offset + 1})
                    result.replayed += 1
                    result.per_partition[tp.partition] += 1
                    if progress is not None:
                        progress(result.replayed)
            if limited:
                break
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        result.incomplete = sorted(tp.partition for tp in pending)
    finally:
        await consumer.stop()
        await publisher.stop()
    return result


async def _republish(
    publisher: KafkaPublisher, topic: str, source: str, record: ConsumerRecord[bytes, bytes]
) -> None:
    headers = [(k, v) for k, v in record.headers or () if not k.startswith("dlq-")]
    headers.append((REPLAYED_FROM, f"{source}:{record.partition}:{record.offset}".encode()))
    await publisher.publish(topic, record.key or b"", record.value or b"", headers)
