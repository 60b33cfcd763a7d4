"""aiokafka adapter: an acks=all producer, consumers with manual commits, topic creation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.logging import get_logger
from shared.settings import KafkaSettings

log = get_logger(__name__)


class KafkaPublisher:
    """Producer with acks=all; idempotence is a setting (on for Apache Kafka)."""

    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Create the producer; connecting happens lazily so a down broker does not block."""

    async def _ensure(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._settings.BOOTSTRAP_SERVERS,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=self._settings.ENABLE_IDEMPOTENCE,
                    request_timeout_ms=self._settings.REQUEST_TIMEOUT_MS,
                    security_protocol=self._settings.SECURITY_PROTOCOL,
                    linger_ms=0,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        """Flush and close the producer, waiting at most one request timeout.

        An idempotent producer never expires a batch, so while acks=all cannot be met its
        flush would wait forever; what is left unacknowledged stays unsent in the outbox.
        """
        async with self._lock:
            if self._producer is not None:
                producer, self._producer = self._producer, None
                try:
                    await asyncio.wait_for(
                        producer.stop(), timeout=self._settings.REQUEST_TIMEOUT_MS / 1000
                    )
                except TimeoutError:
                    log.warning("kafka.producer.stop_timed_out", client_id=self._client_id)

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        """Send one record and wait for the broker's acknowledgement."""
        producer = await self._ensure()
        await producer.send_and_wait(topic, value=value, key=key, headers=list(headers))

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> Awaitable[object]:
        """Queue one record (without waiting for the ack); the future ends with the ack.

        aiokafka keeps one request in flight per partition and retries a batch before
        the next one of that partition is sent, so records of a key stay in order.
        """
        producer = await self._ensure()
        ack: Awaitable[object] = await producer.send(
            topic, value=value, key=key, headers=list(headers)
        )
        return ack

    async def ping(self) -> bool:
        """Whether the cluster answers a metadata request now."""
        try:
            producer = await asyncio.wait_for(self._ensure(), timeout=3)
            await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout=3)
        except Exception:
            return False
        return True


def make_consumer(
    settings: KafkaSettings,
    topics: Iterable[str],
    group_id: str | None,
    client_id: str,
    *,
    group_instance_id: str | None = None,
    session_timeout_ms: int = 10000,
    heartbeat_interval_ms: int = 3000,
    fetch_max_wait_ms: int = 500,
) -> AIOKafkaConsumer:
    """A consumer that never auto-commits: offsets are committed after processing.

    A `group_instance_id` makes it a static member: after a restart with the same id it
    gets its partitions back without a rebalance that waits for the old member to expire.
    """
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.BOOTSTRAP_SERVERS,
        group_id=group_id,
        group_instance_id=group_instance_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        security_protocol=settings.SECURITY_PROTOCOL,
        request_timeout_ms=max(settings.REQUEST_TIMEOUT_MS, 40000),
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )


def set_fetch_max_wait(consumer: AIOKafkaConsumer, milliseconds: int) -> bool:
    """Change how long the broker may hold the consumer's next fetches; False if unsupported.

    aiokafka has one fetch in flight per broker, and it leaves out partitions whose records
    are still being handled: their next fetch waits for that one to come back, up to its
    max wait. A busy consumer therefore wants a short wait; an idle one a long wait, which
    costs no latency (the broker answers at once when a record arrives) and far fewer
    requests. aiokafka reads the value for every request but offers no setter.
    """
    fetcher: Any = getattr(consumer, "_fetcher", None)
    if fetcher is None or not hasattr(fetcher, "_fetch_max_wait_ms"):
        return False
    fetcher._fetch_max_wait_ms = milliseconds
    return True


async def ensure_topics(settings: KafkaSettings, topics: Iterable[str]) -> list[str]:
    """Create missing topics; returns the ones that were created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.BOOTSTRAP_SERVERS)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in dict.fromkeys(topics) if t not in existing]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            t,
                            num_partitions=settings.TOPIC_PARTITIONS,
                            replication_factor=settings.REPLICATION_FACTOR,
                        )
                        for t in wanted
                    ]
                )
        return wanted
    finally:
        await admin.close()


async def topic_partitions(settings: KafkaSettings, topic: str) -> list[int]:
    """Partition numbers of `topic`, from the cluster's metadata (empty if it does not exist).

    Asked through the admin API: Apache Kafka tells a consumer only about topics it
    subscribed to, so `partitions_for_topic` of an assigning consumer knows nothing.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.BOOTSTRAP_SERVERS,
        security_protocol=settings.SECURITY_PROTOCOL,
        request_timeout_ms=settings.REQUEST_TIMEOUT_MS,
    )
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(
        int(p["partition"])
        for entry in described
        if entry.get("topic") == topic and not entry.get("error_code")
        for p in entry.get("partitions", ())
    )
