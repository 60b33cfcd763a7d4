"""Outbox relay: publishes staged events in id order and marks them sent after the ack."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.base import utcnow
from shared.db.lease import Lease
from shared.db.tables import IDEMPOTENCY, INBOX, OUTBOX
from shared.logging import get_logger
from shared.messaging.port import Publisher
from shared.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from shared.settings import RelaySettings

log = get_logger(__name__)


class OutboxRelay:
    """One active relay per service database, guarded by a lease.

    Rows are published strictly in id order, one at a time; the first failure stops the
    batch, so a later event of a case never overtakes an earlier one.
    """

    def __init__(
        self,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        settings: RelaySettings,
        signal: asyncio.Event | None = None,
    ) -> None:
        self._service = service
        self._sessions = session_factory
        self._publisher = publisher
        self._settings = settings
        self.signal = signal or asyncio.Event()
        self.lease = Lease(
            session_factory,
            name=f"outbox-relay:{service}",
            holder=f"{service}-{uuid.uuid4().hex[:12]}",
            ttl_seconds=settings.LEASE_SECONDS,
        )
        self._stopping = asyncio.Event()
        self._last_housekeeping = 0.0

    async def run(self) -> None:
        """Loop until stopped: hold the lease, drain the outbox, wait for new rows."""
        backoff = self._settings.POLL_INTERVAL_SECONDS
        try:
            while not self._stopping.is_set():
                try:
                    if await self.lease.acquire():
                        await self._housekeeping_if_due()
                        sent, failed = await self.drain_once()
                        backoff = (
                            min(backoff * 2, 5.0)
                            if failed
                            else self._settings.POLL_INTERVAL_SECONDS
                        )
                        if sent and not failed:
                            continue
                except Exception:
                    log.exception("outbox.relay.error", service=self._service)
                    backoff = min(backoff * 2, 5.0)
                await self._wait(backoff)
        finally:
            with contextlib.suppress(Exception):
                await self.lease.release()

    async def _housekeeping_if_due(self) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping >= self._settings.HOUSEKEEPING_INTERVAL_SECONDS:
            self._last_housekeeping = now
            await self.purge(utcnow())

    async def purge(self, now: datetime) -> tuple[int, int, int]:
        """Delete sent outbox rows, inbox ids and idempotency keys past their retention."""
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

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.signal.wait(), timeout=seconds)
        self.signal.clear()

    def stop(self) -> None:
        """Ask the loop to end after the current batch."""
        self._stopping.set()
        self.signal.set()

    async def drain_once(self) -> tuple[int, bool]:
        """Publish one batch of unsent rows; returns (sent, whether a publish failed)."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        OUTBOX.c.id,
                        OUTBOX.c.topic,
                        OUTBOX.c.key,
                        OUTBOX.c.payload,
                        OUTBOX.c.headers,
                    )
                    .where(OUTBOX.c.sent_at.is_(None))
                    .order_by(OUTBOX.c.id)
                    .limit(self._settings.BATCH_SIZE)
                )
            ).all()
        acked: list[int] = []
        failed = False
        renewed = time.monotonic()
        try:
            for row_id, topic, key, payload, headers in rows:
                if time.monotonic() - renewed > self._settings.LEASE_SECONDS / 3:
                    # A relay that lost its lease stops at once: one active relay per service.
                    if not await self.lease.acquire():
                        failed = True
                        break
                    renewed = time.monotonic()
                try:
                    await self._publisher.publish(
                        topic,
                        key.encode(),
                        payload.encode(),
                        [(k, v.encode()) for k, v in sorted(headers.items())],
                    )
                except Exception as exc:
                    OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
                    log.warning("outbox.publish.failed", error=type(exc).__name__, outbox_id=row_id)
                    await self._record_failure(row_id, exc)
                    failed = True
                    break
                acked.append(row_id)
                OUTBOX_PUBLISHED.labels(self._service, topic).inc()
        finally:
            # Only rows the broker acknowledged are marked; a crash before this line means
            # they are sent again (at least once), which the consumers' inbox absorbs.
            await self._mark_sent(acked)
        return len(acked), failed

    async def _mark_sent(self, row_ids: list[int]) -> None:
        if not row_ids:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(row_ids))
                .values(sent_at=utcnow(), attempts=OUTBOX.c.attempts + 1, last_error=None)
            )

    async def _record_failure(self, row_id: int, exc: Exception) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == row_id)
                .values(attempts=OUTBOX.c.attempts + 1, last_error=type(exc).__name__)
            )
