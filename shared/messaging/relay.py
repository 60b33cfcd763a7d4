"""Outbox relay: publishes staged events in id order and marks them sent after the ack."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.advisory import AdvisoryLock, engine_of, notify_channel
from shared.db.base import utcnow
from shared.db.tables import IDEMPOTENCY, INBOX, OUTBOX
from shared.logging import get_logger
from shared.messaging.faults import backoff_delay
from shared.messaging.port import Publisher
from shared.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from shared.settings import RelaySettings

log = get_logger(__name__)


class OutboxRelay:
    """One active relay per service database, guarded by a session advisory lock.

    Rows are published strictly in id order, one at a time; the first failure stops the
    batch, so a later event of a case never overtakes an earlier one. A standby replica
    tries the lock once per `LOCK_RETRY_SECONDS`; PostgreSQL frees it when the holder's
    connection dies, so a crash is taken over within about that time.
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
        self.lock = AdvisoryLock(
            engine_of(session_factory),
            f"outbox-relay:{service}",
            check_timeout=settings.LOCK_CHECK_TIMEOUT_SECONDS,
        )
        self.channel = notify_channel(f"outbox_{service}")
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Loop until stopped: hold the lock, drain the outbox, wait for new rows."""
        failures = 0
        was_holder = False
        try:
            while not self._stopping.is_set():
                try:
                    if not await self.lock.acquire():
                        # A relay that just lost the lock steps back for longer than a
                        # standby's retry, so the replica that saw it free first takes over.
                        retry = self._settings.LOCK_RETRY_SECONDS
                        await self._standby_wait(2 * retry if was_holder else retry)
                        was_holder = False
                        continue
                    if not was_holder:
                        was_holder = True
                        log.info("outbox.relay.active", service=self._service)
                        await self.lock.listen(self.channel)
                    self.signal.clear()
                    sent, failed = await self.drain_once()
                    if failed:
                        failures += 1
                        await self._wait_signal(self._retry_delay(failures))
                    else:
                        failures = 0
                        if not sent:
                            await self._idle_wait()
                except Exception:
                    log.exception("outbox.relay.error", service=self._service)
                    failures += 1
                    await self._wait_signal(self._retry_delay(failures))
        finally:
            with contextlib.suppress(Exception):
                await self.lock.release()

    def _retry_delay(self, failures: int) -> float:
        return backoff_delay(
            failures, self._settings.RETRY_INITIAL_SECONDS, self._settings.RETRY_MAX_SECONDS
        )

    async def _standby_wait(self, seconds: float) -> None:
        """Wait for the next lock attempt; pass local commits on to the holder meanwhile."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await self._wait_signal(remaining):
                return
            if self._stopping.is_set():
                return
            self.signal.clear()
            try:
                async with self._sessions() as session, session.begin():
                    await session.execute(select(func.pg_notify(self.channel, "")))
            except Exception as exc:
                # The holder's slow poll picks the rows up anyway.
                log.warning("outbox.relay.notify_failed", error=type(exc).__name__)

    async def _idle_wait(self) -> None:
        """Until a local commit, a NOTIFY from another replica, stop, or the slow poll."""
        local = asyncio.ensure_future(self.signal.wait())
        remote = asyncio.ensure_future(
            self.lock.wait_for_notification(self._settings.POLL_INTERVAL_SECONDS)
        )
        try:
            done, _ = await asyncio.wait(
                {local, remote},
                timeout=self._settings.POLL_INTERVAL_SECONDS + 1,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for task in (local, remote):
                task.cancel()
            for task in (local, remote):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if remote in done and remote.exception() is not None:
            # The lock's connection failed while waiting: the next acquire() notices.
            log.warning("outbox.relay.listen_failed", error=type(remote.exception()).__name__)

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

        Returns (sent, stopped early): a failed publish or a lost lock end the batch.
        """
        if not await self.lock.acquire():
            return 0, True
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
        checked = time.monotonic()
        try:
            for row_id, topic, key, payload, headers in rows:
                if time.monotonic() - checked > self._settings.LOCK_RETRY_SECONDS:
                    # Within a batch too: a standby may hold the lock one retry interval after
                    # ours was lost, and two publishing relays could reorder a case's events.
                    if not await self.lock.check():
                        failed = True
                        break
                    checked = time.monotonic()
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
