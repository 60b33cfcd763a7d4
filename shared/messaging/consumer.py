"""Inbox consumer: apply each event once, commit the offset after, dead-letter poison messages."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from shared.db.uow import UnitOfWork
from shared.events.envelope import Envelope
from shared.events.registry import UnknownEventType, decode, dlq_topic
from shared.logging import error_summary, get_logger
from shared.messaging.faults import backoff_delay, is_infrastructure_error
from shared.messaging.kafka import make_consumer, set_fetch_max_wait
from shared.messaging.port import Publisher
from shared.metrics import CONSUMER_LAG, DLQ_RECORDS, EVENTS_CONSUMED
from shared.settings import ConsumerSettings, KafkaSettings
from shared.tracing import (
    DISABLED,
    Tracing,
    context_from_traceparent,
    correlation,
    traceparent_from_headers,
)

log = get_logger(__name__)

U = TypeVar("U", bound=UnitOfWork)
Handler = Callable[[Envelope[Any], U], Awaitable[None]]


class ConsumerStopped(Exception):
    """Raised inside the runner when stop() interrupts a retry; the offset stays uncommitted."""


@dataclass(frozen=True)
class Blocked:
    """Why a consumer is not making progress: an infrastructure failure it keeps retrying."""

    reason: str
    error: str
    since: float

    def describe(self) -> str:
        """One line for the readiness check."""
        seconds = time.monotonic() - self.since
        return f"blocked on infrastructure ({self.reason}: {self.error}, {seconds:.0f} s)"


_instance_ids_in_use: set[str] = set()


def claim_instance_id(base: str) -> str:
    """A group instance id unique in this process: `base`, or `base-2`, `base-3`, ...

    Two live members with one id fence each other; replicas started in one process (tests)
    would otherwise share the default.
    """
    candidate, n = base, 1
    while candidate in _instance_ids_in_use:
        n += 1
        candidate = f"{base}-{n}"
    _instance_ids_in_use.add(candidate)
    return candidate


def default_instance_id(service: str, group_id: str, port: int | None = None) -> str:
    """`<service>-<group>-<hostname>[-<port>]`: stable across restarts of one replica."""
    parts = [service, group_id, socket.gethostname()]
    if port is not None:
        parts.append(str(port))
    return "-".join(parts)


class ConsumerRunner:
    """Runs one consumer group over a set of topics with one handler per topic.

    The inbox row and the handler's effect (including any outbox rows) commit in one
    transaction; the offset is committed only afterwards, or after dead-lettering.
    Infrastructure failures never dead-letter: the record is retried in place until they
    pass (or the runner stops), and `blocked` says so meanwhile.

    Each record is handled in a consumer span, a child of the record's `traceparent`
    header, with the event's `correlationid` bound: what the handler stages continues the
    trace and carries the same correlation id.
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
        instance_id: str | None = None,
        tracing: Tracing = DISABLED,
    ) -> None:
        self._service = service
        self._tracing = tracing
        self.group_id = group_id
        self._handlers = dict(handlers)
        self._uow_factory = uow_factory
        self._publisher = publisher
        self._kafka = kafka
        self._settings = settings
        self._instance_base = instance_id or settings.GROUP_INSTANCE_ID or None
        self._stopping = asyncio.Event()
        self.assigned = asyncio.Event()
        self.blocked: Blocked | None = None
        self.instance_id: str | None = None
        self._lag_partitions: set[tuple[str, int]] = set()

    def stop(self) -> None:
        """Ask the loop to end after the current message (or retry wait)."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stopped; reconnect with backoff when the broker goes away."""
        if self._settings.STATIC_MEMBERSHIP:
            base = self._instance_base or default_instance_id(self._service, self.group_id)
            self.instance_id = claim_instance_id(base)
        failures = 0
        try:
            while not self._stopping.is_set():
                consumer = make_consumer(
                    self._kafka,
                    self._handlers,
                    self.group_id,
                    f"{self._service}-{self.group_id}",
                    group_instance_id=self.instance_id,
                    session_timeout_ms=self._settings.SESSION_TIMEOUT_MS,
                    heartbeat_interval_ms=self._settings.HEARTBEAT_INTERVAL_MS,
                    fetch_max_wait_ms=self._settings.FETCH_MAX_WAIT_MS,
                )
                try:
                    await consumer.start()
                    failures = 0
                    await self._loop(consumer)
                except ConsumerStopped:
                    break
                except Exception as exc:
                    failures += 1
                    self.blocked = Blocked("broker", type(exc).__name__, time.monotonic())
                    log.warning("consumer.loop.error", group=self.group_id, error=repr(exc))
                finally:
                    with contextlib.suppress(Exception):
                        await consumer.stop()
                if not self._stopping.is_set():
                    with contextlib.suppress(ConsumerStopped):
                        await self._pause(self._infra_delay(failures))
        finally:
            self.blocked = None
            self._forget_lag(set())
            if self.instance_id is not None:
                _instance_ids_in_use.discard(self.instance_id)

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        busy = False
        set_fetch_max_wait(consumer, self._settings.IDLE_FETCH_MAX_WAIT_MS)
        while not self._stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=100)
            if any(batches.values()) != busy:
                busy = not busy
                set_fetch_max_wait(
                    consumer,
                    self._settings.FETCH_MAX_WAIT_MS
                    if busy
                    else self._settings.IDLE_FETCH_MAX_WAIT_MS,
                )
            if consumer.assignment():
                self.assigned.set()
                if self.blocked is not None and self.blocked.reason == "broker":
                    self.blocked = None
            # Before the batch is applied its records still count as lag, so a consumer
            # stuck on a batch shows it; after the batch, the lag that remains.
            await self._record_lag(
                consumer, {tp: records[0].offset for tp, records in batches.items() if records}
            )
            for tp, records in batches.items():
                partition = TopicPartition(tp.topic, tp.partition)
                done: ConsumerRecord[bytes, bytes] | None = None
                try:
                    for record in records:
                        await self.handle_record(record)
                        done = record
                finally:
                    # After every record of the batch was applied (or dead-lettered); a crash
                    # before this line redelivers them, and the inbox skips what was applied.
                    # A stop during a retry commits only what came before the retried record.
                    if done is not None:
                        await consumer.commit({partition: done.offset + 1})
            if any(batches.values()):
                await self._record_lag(consumer, {})

    async def _record_lag(
        self, consumer: AIOKafkaConsumer, unapplied: Mapping[TopicPartition, int]
    ) -> None:
        """Lag per assigned partition: the high watermark of the last fetch minus the position.

        Records returned by `getmany` are applied (or dead-lettered) and committed before the
        next fetch, so between batches the position is the committed offset; `unapplied`
        names the first offset of a batch not applied yet. A partition not fetched yet has
        no high watermark and no sample.
        """
        current: set[tuple[str, int]] = set()
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:
                continue
            # Known after a fetch (no round trip); bounded in case it is being reset. A
            # partition moved away by a rebalance meanwhile has no sample this time.
            with contextlib.suppress(Exception):
                position = unapplied.get(tp)
                if position is None:
                    position = await asyncio.wait_for(consumer.position(tp), timeout=1)
                current.add((tp.topic, tp.partition))
                CONSUMER_LAG.labels(self._service, self.group_id, tp.topic, str(tp.partition)).set(
                    max(high - position, 0)
                )
        self._forget_lag(current)

    def _forget_lag(self, current: set[tuple[str, int]]) -> None:
        """Drop the lag of partitions no longer assigned here (another member reports them)."""
        for topic, partition in self._lag_partitions - current:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self._service, self.group_id, topic, str(partition))
        self._lag_partitions = current

    async def handle_record(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """Apply one record; returns the outcome (processed, duplicate, dead_lettered).

        Raises `ConsumerStopped` if stop() came while an infrastructure failure was retried.
        """
        parent = context_from_traceparent(traceparent_from_headers(record.headers))
        attributes: dict[str, str | int] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": self.group_id,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
        }
        if record.key:
            # The case id: pseudonymous, like everything else the record carries.
            attributes["messaging.kafka.message.key"] = record.key.decode("utf-8", "replace")
        with self._tracing.span(
            f"{record.topic} process", kind=SpanKind.CONSUMER, parent=parent, attributes=attributes
        ) as span:
            outcome = await self._handle_record(record, span)
            span.set_attribute("handover.consumer.outcome", outcome)
            if outcome == "dead_lettered":
                span.set_status(Status(StatusCode.ERROR))
            return outcome

    async def _handle_record(self, record: ConsumerRecord[bytes, bytes], span: Span) -> str:
        topic = record.topic
        try:
            if record.value is None:
                raise ValueError("record has no value")
            envelope = decode(record.value)
        except (ValidationError, UnknownEventType, ValueError) as exc:
            await self._dead_letter(record, exc, attempts=0)
            return self._count(topic, "dead_lettered")
        span.set_attribute("messaging.message.id", str(envelope.id))
        with correlation(envelope.correlationid):
            return await self._apply_with_retries(record, envelope)

    async def _apply_with_retries(
        self, record: ConsumerRecord[bytes, bytes], envelope: Envelope[Any]
    ) -> str:
        topic = record.topic
        handler = self._handlers[topic]
        attempts = 0
        infra_failures = 0
        while True:
            try:
                outcome = await self._apply_once(handler, envelope, topic)
            except Exception as exc:
                if is_infrastructure_error(exc):
                    infra_failures += 1
                    await self._wait_for_infrastructure(
                        "database", exc, infra_failures, topic, envelope
                    )
                    continue
                attempts += 1
                log.warning(
                    "consumer.handler.failed",
                    group=self.group_id,
                    topic=topic,
                    event_id=str(envelope.id),
                    attempt=attempts,
                    error=type(exc).__name__,
                )
                if attempts >= self._settings.MAX_ATTEMPTS:
                    await self._dead_letter(record, exc, attempts)
                    return self._count(topic, "dead_lettered")
                await self._pause(
                    backoff_delay(
                        attempts,
                        self._settings.BACKOFF_INITIAL_SECONDS,
                        self._settings.BACKOFF_MAX_SECONDS,
                    )
                )
                continue
            self._unblock()
            return self._count(topic, outcome)

    async def _apply_once(self, handler: Handler[Any], envelope: Envelope[Any], topic: str) -> str:
        try:
            return await self._apply(handler, envelope, topic)
        except IntegrityError:
            # A concurrent delivery recorded the same event id first: one effect only.
            async with self._uow_factory() as uow:
                if await uow.already_processed(self.group_id, envelope.id):
                    return "duplicate"
            raise

    async def _apply(self, handler: Handler[Any], envelope: Envelope[Any], topic: str) -> str:
        async with self._uow_factory() as uow:
            if await uow.already_processed(self.group_id, envelope.id):
                return "duplicate"
            await handler(envelope, uow)
            await uow.record_processed(self.group_id, envelope.id, topic)
            await uow.commit()
        return "processed"

    async def _wait_for_infrastructure(
        self,
        reason: str,
        exc: BaseException,
        failures: int,
        topic: str,
        envelope: Envelope[Any] | None = None,
    ) -> None:
        if self.blocked is None or self.blocked.reason != reason:
            self.blocked = Blocked(reason, type(exc).__name__, time.monotonic())
        log.warning(
            "consumer.blocked_on_infrastructure",
            group=self.group_id,
            topic=topic,
            event_id=str(envelope.id) if envelope is not None else None,
            reason=reason,
            retry=failures,
            error=type(exc).__name__,
        )
        await self._pause(self._infra_delay(failures))

    def _infra_delay(self, failures: int) -> float:
        return backoff_delay(
            failures,
            self._settings.INFRA_BACKOFF_INITIAL_SECONDS,
            self._settings.INFRA_BACKOFF_MAX_SECONDS,
        )

    async def _pause(self, seconds: float) -> None:
        """Sleep, but end at once on stop(): raises ConsumerStopped then."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        if self._stopping.is_set():
            raise ConsumerStopped

    def _unblock(self) -> None:
        if self.blocked is not None:
            log.info(
                "consumer.unblocked",
                group=self.group_id,
                reason=self.blocked.reason,
                blocked_seconds=round(time.monotonic() - self.blocked.since, 1),
            )
            self.blocked = None

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
            ("dlq-error-message", error_summary(exc)[:500].encode()),
        ]
        failures = 0
        while True:
            try:
                await self._publisher.publish(
                    dlq_topic(record.topic), record.key or b"", record.value or b"", headers
                )
                break
            except Exception as publish_error:
                # The offset must not move past a record that is neither applied nor in
                # the DLQ: keep trying, whatever the broker says.
                failures += 1
                await self._wait_for_infrastructure(
                    "dead-letter publish", publish_error, failures, record.topic
                )
        self._unblock()
        DLQ_RECORDS.labels(self._service, self.group_id, record.topic).inc()
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
