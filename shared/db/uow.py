"""Unit of work: one session, one transaction, events staged into the outbox with the change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import insert, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.advisory import engine_of
from shared.db.base import utcnow
from shared.db.notify import OUTBOX_CHANNEL, notify
from shared.db.tables import INBOX, OUTBOX
from shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE, Envelope


class UnitOfWork:
    """Opens a session on enter; commits only when told, rolls back otherwise.

    Services subclass it and build their repositories in `_start`.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        outbox_signal: asyncio.Event | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._outbox_signal = outbox_signal
        self._session: AsyncSession | None = None
        self._staged_events = 0
        self._after_commit: list[Callable[[], None]] = []

    @property
    def database_url(self) -> URL:
        """The URL of the database this unit of work opens sessions on."""
        return engine_of(self._session_factory).url

    @property
    def session(self) -> AsyncSession:
        """The open session (only inside `async with`)."""
        if self._session is None:
            raise RuntimeError("unit of work is not open")
        return self._session

    def _start(self) -> None:
        """Hook for subclasses: build repositories on the fresh session."""

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self._staged_events = 0
        self._after_commit = []
        self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it does not
        # expire loaded objects, so results stay readable after the block.
        session = self.session
        self._session = None
        await session.close()

    async def commit(self) -> None:
        """Commit the change and its staged events together."""
        await self.session.commit()
        if self._staged_events and self._outbox_signal is not None:
            self._outbox_signal.set()
        self._staged_events = 0
        done, self._after_commit = self._after_commit, []
        for callback in done:
            callback()

    async def rollback(self) -> None:
        """Discard the change, its staged events and its after-commit callbacks."""
        await self.session.rollback()
        self._staged_events = 0
        self._after_commit = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this transaction committed (never on a rollback or a failed
        commit): for effects outside the database, such as a metric of what it changed."""
        self._after_commit.append(callback)

    async def publish(self, event: Envelope[Any]) -> None:
        """Stage an event in the outbox, in the same transaction as the change.

        The first event of a transaction also stages a NOTIFY, so a relay in another
        process wakes when the commit makes the rows visible (and not on a rollback).
        """
        if not self._staged_events:
            await notify(self.session, OUTBOX_CHANNEL)
        await self.session.execute(
            insert(OUTBOX).values(
                event_id=event.id,
                topic=event.topic,
                key=event.subject,
                payload=event.model_dump_json(),
                headers={"content-type": CLOUDEVENTS_CONTENT_TYPE, "ce_type": event.type},
                created_at=utcnow(),
                attempts=0,
            )
        )
        self._staged_events += 1

    async def already_processed(self, consumer: str, event_id: Any) -> bool:
        """Whether this consumer has applied the event before."""
        found = await self.session.scalar(
            select(INBOX.c.event_id).where(
                INBOX.c.consumer == consumer, INBOX.c.event_id == event_id
            )
        )
        return found is not None

    async def record_processed(self, consumer: str, event_id: Any, topic: str) -> None:
        """Record the event id with the effect; a concurrent duplicate fails the commit."""
        await self.session.execute(
            insert(INBOX).values(
                consumer=consumer, event_id=event_id, topic=topic, processed_at=utcnow()
            )
        )


__all__ = ["IntegrityError", "UnitOfWork"]
