"""Outbox relay: publishes staged events in id order and marks them sent after the ack."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from datetime import datetime, timedelta

from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.advisory import AdvisoryLock, engine_of
from shared.db.base import utcnow
from shared.db.notify import OUTBOX_CHANNEL, NotifyListener
from shared.db.tables import IDEMPOTENCY, INBOX, OUTBOX
from shared.logging import get_logger
from shared.messaging.faults import backoff_delay
from shared.messaging.port import Publisher
from shared.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from shared.settings import RelaySettings
from shared.tracing import (
    DISABLED,
    TRACEPARENT,
    Tracing,
    context_from_traceparent,
    traceparent_of_span,
)

log = get_logger(__name__)


class OutboxRelay:
    """One active relay per service database, guarded by a session advisory lock.

    Rows are read in id order and published pipelined: every row of a batch is sent, then
    the acks are awaited, then the acknowledged rows are marked sent in one statement. A
    failed record stops the batch for its key: later rows of that case stay unsent even
    when their own ack came, so no event of a case is marked before an earlier one.

    It wakes on the outbox signal: set by a commit in this process, or by its listener
    when another process's transaction NOTIFYs `OUTBOX_CHANNEL`; a slow poll covers a
    notification lost in a database outage. A standby replica tries the lock once per
    `LOCK_RETRY_SECONDS`; PostgreSQL frees it when the holder's connection dies, so a
    crash is taken over within about that time.

    Each record is published in a producer span, a child of the trace context stored with
    its row; the record's `traceparent` header names that span, so consumers continue the
    trace (with tracing off, the stored context is passed on as it is).
    """

    def __init__(
        self,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        settings: RelaySettings,
        signal: asyncio.Event | None = None,
        tracing: Tracing = DISABLED,
    ) -> None:
        self._service = service
        self._tracing = tracing
        self._sessions = session_factory
        self._publisher = publisher
        self._settings = settings
        self.signal = signal or asyncio.Event()
        engine = engine_of(session_factory)
        self.lock = AdvisoryLock(
            engine,
            f"outbox-relay:{service}",
            check_timeout=settings.LOCK_CHECK_TIMEOUT_SECONDS,
        )
        self.listener = NotifyListener(
            engine.url,
            {OUTBOX_CHANNEL: [self.signal]},
            backoff_max_seconds=settings.RETRY_MAX_SECONDS,
        )
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Loop until stopped: hold the lock, drain the outbox, wait for new rows."""
        listening = asyncio.create_task(self.listener.run(), name="outbox-relay-listener")
        failures = 0
        was_holder = False
        try:
            while not self._stopping.is_set():
                try:
                    if not await self.lock.acquire():
                        # A relay that just lost the lock steps back for longer than a
                        # standby's retry, so the replica that saw it free first takes over.
                        retry = self._settings.LOCK_RETRY_SECONDS
                        await self._pause(2 * retry if was_holder else retry)
                        was_holder = False
                        continue
                    if not was_holder:
                        was_holder = True
                        log.info("outbox.relay.active", service=self._service)
                    self.signal.clear()
                    sent, failed = await self._drain()
                    if failed:
                        failures += 1
                        await self._wait_signal(self._retry_delay(failures))
                    else:
                        failures = 0
                        if not sent:
                            await self._wait_signal(self._settings.POLL_INTERVAL_SECONDS)
                except Exception:
                    log.exception("outbox.relay.error", service=self._service)
                    failures += 1
                    await self._wait_signal(self._retry_delay(failures))
        finally:
            self.listener.stop()
            with contextlib.suppress(Exception):
                await self.lock.release()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listening, timeout=2)
            listening.cancel()

    def _retry_delay(self, failures: int) -> float:
        return backoff_delay(
            failures, self._settings.RETRY_INITIAL_SECONDS, self._settings.RETRY_MAX_SECONDS
        )

    async def _pause(self, seconds: float) -> None:
        """Wait for the next lock attempt (or stop); the holder is woken by NOTIFY itself."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def purge(self, now: datetime) -> tuple[int, int, int]:
        """Delete sent outbox rows, inbox ids and idempotency keys past their retention.

        Not part of the relay loop: the runtime runs it as the `outbox-housekeeping` job.
        """
        settings = self._settings
        sent_before = now - timedelta(hours=settings.SENT_RETENTION_HOURS)
        seen_before = now - timedelta(days=settings.INBOX_RETENTION_DAYS)
        keys_before = now - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)
        async with self._sessions() as session, session.begin():
            results = [
                await session.execute(
                    delete(OUTBOX).where(
                        OUTBOX.c.sent_at.is_not(None), OUTBOX.c.sent_at < sent_before
                    )
                ),
                await session.execute(delete(INBOX).where(INBOX.c.processed_at < seen_before)),
                await session.execute(
                    delete(IDEMPOTENCY).where(IDEMPOTENCY.c.created_at < keys_before)
                ),
            ]
        outbox, inbox, keys = (int(r.rowcount) for r in results)  # type: ignore[attr-defined]
        if outbox or inbox or keys:
            log.info(
                "outbox.housekeeping",
                outbox_deleted=outbox,
                inbox_deleted=inbox,
                idempotency_keys_deleted=keys,
            )
        return outbox, inbox, keys

    async def _wait_signal(self, seconds: float) -> bool:
        """Wait up to `seconds` for the outbox signal (or stop); True if it came."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.signal.wait(), timeout=seconds)
            return True
        return False

    def stop(self) -> None:
        """Ask the loop to end after the current batch."""
        self._stopping.set()
        self.signal.set()

    async def drain_once(self) -> tuple[int, bool]:
        """Publish one batch of unsent rows if this relay holds (or can take) the lock.

        Returns (marked sent, stopped early): a failed record or a lost lock end the batch.
        """
        if not await self.lock.acquire():
            return 0, True
        return await self._drain()

    async def _drain(self) -> tuple[int, bool]:
        """`drain_once` for a holder that has just checked its lock."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        OUTBOX.c.id,
                        OUTBOX.c.event_id,
                        OUTBOX.c.topic,
                        OUTBOX.c.key,
                        OUTBOX.c.payload,
                        OUTBOX.c.headers,
                        OUTBOX.c.traceparent,
                    )
                    .where(OUTBOX.c.sent_at.is_(None))
                    .order_by(OUTBOX.c.id)
                    .limit(self._settings.BATCH_SIZE)
                )
            ).all()
        if not rows:
            return 0, False
        sent: list[tuple[int, str, str, Awaitable[object]]] = []
        spans: list[Span] = []
        stopped = False
        send_error: Exception | None = None
        checked = time.monotonic()
        for row_id, event_id, topic, key, payload, headers, traceparent in rows:
            if time.monotonic() - checked > self._settings.LOCK_RETRY_SECONDS:
                # A standby may hold the lock one retry interval after ours was lost, and
                # two publishing relays could reorder a case's events: a send that blocks
                # (broker away, buffer full) must not outlast that unchecked.
                if not await self.lock.check():
                    stopped = True
                    break
                checked = time.monotonic()
            span = self._publish_span(topic, key, str(event_id), traceparent)
            record_headers = dict(headers)
            carried = traceparent_of_span(span)
            if carried is not None:
                record_headers[TRACEPARENT] = carried
            try:
                ack = await self._publisher.send(
                    topic,
                    key.encode(),
                    payload.encode(),
                    [(k, v.encode()) for k, v in sorted(record_headers.items())],
                )
            except Exception as exc:
                # Not queued: this row and every later one wait for the next batch.
                _end_span(span, exc)
                send_error = exc
                await self._record_failures([row_id], exc)
                stopped = True
                break
            sent.append((row_id, topic, key, ack))
            spans.append(span)
        results = await asyncio.gather(*(ack for *_, ack in sent), return_exceptions=True)
        acked: list[int] = []
        failed: list[int] = []
        blocked_keys: set[str] = set()
        first_error: BaseException | None = send_error
        for (row_id, topic, key, _), result, span in zip(sent, results, spans, strict=True):
            _end_span(span, result if isinstance(result, BaseException) else None)
            if isinstance(result, BaseException):
                blocked_keys.add(key)
                failed.append(row_id)
                first_error = first_error or result
                log.warning("outbox.publish.failed", error=type(result).__name__, outbox_id=row_id)
            elif key in blocked_keys:
                # Acknowledged after an earlier event of its case failed: left unsent, it
                # is published again after that one (the consumers' inbox drops the copy).
                continue
            else:
                acked.append(row_id)
                OUTBOX_PUBLISHED.labels(self._service, topic).inc()
        # Only rows the broker acknowledged are marked; a crash before this line means
        # they are sent again (at least once), which the consumers' inbox absorbs.
        await self._mark_sent(acked)
        if failed and first_error is not None and isinstance(first_error, Exception):
            OUTBOX_PUBLISH_FAILURES.labels(self._service).inc(len(failed))
            await self._record_failures(failed, first_error)
        if send_error is not None:
            OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
            log.warning("outbox.publish.failed", error=type(send_error).__name__)
        return len(acked), stopped or bool(failed)

    def _publish_span(self, topic: str, key: str, event_id: str, traceparent: str | None) -> Span:
        """A producer span for one record, ended when the broker answered."""
        return self._tracing.tracer.start_span(
            f"{topic} publish",
            context=context_from_traceparent(traceparent),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": topic,
                "messaging.message.id": event_id,
                "messaging.kafka.message.key": key,
            },
        )

    async def _mark_sent(self, row_ids: list[int]) -> None:
        if not row_ids:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(row_ids))
                .values(sent_at=utcnow(), attempts=OUTBOX.c.attempts + 1, last_error=None)
            )

    async def _record_failures(self, row_ids: list[int], exc: BaseException) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(row_ids))
                .values(attempts=OUTBOX.c.attempts + 1, last_error=type(exc).__name__)
            )


def _end_span(span: Span, error: BaseException | None) -> None:
    if error is not None:
        span.set_attribute("error.type", type(error).__name__)
        span.set_status(Status(StatusCode.ERROR))
    span.end()
