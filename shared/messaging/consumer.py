"""Inbox consumer: apply each event once, commit the offset after, dead-letter poison messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from shared.db.uow import UnitOfWork
from shared.events.envelope import Envelope
from shared.events.registry import UnknownEventType, decode, dlq_topic
from shared.logging import get_logger
from shared.messaging.kafka import make_consumer
from shared.messaging.port import Publisher
from shared.metrics import EVENTS_CONSUMED
from shared.settings import ConsumerSettings, KafkaSettings

log = get_logger(__name__)

U = TypeVar("U", bound=UnitOfWork)
Handler = Callable[[Envelope[Any], U], Awaitable[None]]


class ConsumerRunner:
    """Runs one consumer group over a set of topics with one handler per topic.

    The inbox row and the handler's effect (including any outbox rows) commit in one
    transaction; the offset is committed only afterwards, or after dead-lettering.
    """

    def __init__(
        self,
        *,
        service: str,
        group_id: str,
        handlers: Mapping[str, Handler[Any]],
        uow_factory: Callable[[], UnitOfWork],
        publisher: Publisher,
        kafka: KafkaSettings,
        settings: ConsumerSettings,
    ) -> None:
        self._service = service
        self.group_id = group_id
        self._handlers = dict(handlers)
        self._uow_factory = uow_factory
        self._publisher = publisher
        self._kafka = kafka
        self._settings = settings
        self._stopping = asyncio.Event()
        self.assigned = asyncio.Event()

    def stop(self) -> None:
        """Ask the loop to end after the current message."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stopped; reconnect with backoff when the broker goes away."""
        delay = 0.5
        while not self._stopping.is_set():
            consumer = make_consumer(
                self._kafka, self._handlers, self.group_id, f"{self._service}-{self.group_id}"
            )
            try:
                await consumer.start()
                delay = 0.5
                await self._loop(consumer)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer.loop.error", group=self.group_id)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()
            if not self._stopping.is_set():
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=100)
            if consumer.assignment():
                self.assigned.set()
            for tp, records in batches.items():
                for record in records:
                    await self.handle_record(record)
                # After every record of the batch was applied (or dead-lettered); a crash
                # before this line redelivers them, and the inbox skips what was applied.
                partition = TopicPartition(tp.topic, tp.partition)
                await consumer.commit({partition: records[-1].offset + 1})

    async def handle_record(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """Apply one record; returns the outcome (processed, duplicate, dead_lettered)."""
        topic = record.topic
        try:
            if record.value is None:
                raise ValueError("record has no value")
            envelope = decode(record.value)
        except (ValidationError, UnknownEventType, ValueError) as exc:
            await self._dead_letter(record, exc, attempts=0)
            return self._count(topic, "dead_lettered")
        handler = self._handlers[topic]
        delay = self._settings.BACKOFF_INITIAL_SECONDS
        for attempt in range(1, self._settings.MAX_ATTEMPTS + 1):
            try:
                return self._count(topic, await self._apply(handler, envelope, topic))
            except IntegrityError:
                # A concurrent delivery recorded the same event id first: one effect only.
                async with self._uow_factory() as uow:
                    if await uow.already_processed(self.group_id, envelope.id):
                        return self._count(topic, "duplicate")
                error: Exception | None = None
                last = attempt
            except Exception as exc:
                error, last = exc, attempt
                log.warning(
                    "consumer.handler.failed",
                    group=self.group_id,
                    topic=topic,
                    event_id=str(envelope.id),
                    attempt=attempt,
                    error=type(exc).__name__,
                )
            if last < self._settings.MAX_ATTEMPTS:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.BACKOFF_MAX_SECONDS)
        await self._dead_letter(record, error or RuntimeError("duplicate check failed"), last)
        return self._count(topic, "dead_lettered")

    async def _apply(self, handler: Handler[Any], envelope: Envelope[Any], topic: str) -> str:
        async with self._uow_factory() as uow:
            if await uow.already_processed(self.group_id, envelope.id):
                return "duplicate"
            await handler(envelope, uow)
            await uow.record_processed(self.group_id, envelope.id, topic)
            await uow.commit()
        return "processed"

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], exc: Exception, attempts: int
    ) -> None:
        headers = [
            *list(record.headers or ()),
            ("dlq-original-topic", record.topic.encode()),
            ("dlq-original-partition", str(record.partition).encode()),
            ("dlq-original-offset", str(record.offset).encode()),
            ("dlq-consumer-group", self.group_id.encode()),
            ("dlq-attempts", str(attempts).encode()),
            ("dlq-error-type", type(exc).__name__.encode()),
            ("dlq-error-message", str(exc)[:500].encode()),
        ]
        await self._publisher.publish(
            dlq_topic(record.topic), record.key or b"", record.value or b"", headers
        )
        log.error(
            "consumer.message.dead_lettered",
            group=self.group_id,
            topic=record.topic,
            offset=record.offset,
            error=type(exc).__name__,
        )

    def _count(self, topic: str, outcome: str) -> str:
        EVENTS_CONSUMED.labels(self._service, topic, outcome).inc()
        return outcome
