"""Operations replay dead letters back to their topic, once."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaProducer

from shared.events.registry import dlq_topic
from shared.messaging.kafka import ensure_topics
from shared.messaging.replay import REPLAYED_FROM, replay_dead_letters
from tests.conftest import BrokerHandle
from tests.integration.kafka_reading import read_topic


async def test_dead_letters_are_replayed_once_without_their_error_headers(
    broker: BrokerHandle,
) -> None:
    topic = f"test.{uuid.uuid4().hex[:10]}"
    await ensure_topics(broker.kafka_settings(), [topic, dlq_topic(topic)])
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(
                dlq_topic(topic),
                f"event-{n}".encode(),
                key=f"case-{n}".encode(),
                headers=[
                    ("content-type", b"application/cloudevents+json"),
                    ("dlq-error-type", b"RuntimeError"),
                    ("dlq-attempts", b"5"),
                ],
            )
    finally:
        await producer.stop()
    group = f"replay-{uuid.uuid4().hex[:6]}"

    assert await replay_dead_letters(broker.kafka_settings(), topic, group_id=group) == 3
    assert await replay_dead_letters(broker.kafka_settings(), topic, group_id=group) == 0

    records = await read_topic(broker, topic, 3, 30)
    assert sorted(r.value for r in records) == [b"event-0", b"event-1", b"event-2"]
    for record in records:
        headers = dict(record.headers)
        assert headers["content-type"] == b"application/cloudevents+json"
        assert not any(k.startswith("dlq-") for k in headers)
        assert headers[REPLAYED_FROM].startswith(dlq_topic(topic).encode())
