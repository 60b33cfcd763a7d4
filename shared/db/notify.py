"""PostgreSQL LISTEN/NOTIFY: wake-ups across processes for work that a commit made due.

A writer stages `notify(channel)` in the transaction of its change; PostgreSQL delivers it
on commit (and never on rollback). A process that does the work keeps one `NotifyListener`
connection that sets an `asyncio.Event` per channel. Notifications are only hints: the
listener sets every event again after (re)connecting, because anything sent while it was
away is lost, and the workers keep a slow fallback poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession

from shared.logging import get_logger
from shared.messaging.faults import backoff_delay

log = get_logger(__name__)

# Channels are per database, and every service has its own database.
OUTBOX_CHANNEL = "outbox_staged"


async def notify(session: AsyncSession, channel: str) -> None:
    """Stage a NOTIFY on `channel` in the session's transaction (sent on commit)."""
    await session.execute(select(func.pg_notify(channel, "")))


class NotifyListener:
    """One connection LISTENing on channels; each NOTIFY sets that channel's events.

    Reconnects with capped backoff after the database went away, and then sets every
    event once, so work committed while it was disconnected is picked up at once.
    """

    def __init__(
        self,
        url: str | URL,
        channels: Mapping[str, list[asyncio.Event]] | None = None,
        *,
        backoff_initial_seconds: float = 0.1,
        backoff_max_seconds: float = 5.0,
        connect_timeout_seconds: float = 10.0,
    ) -> None:
        # psycopg takes the libpq form of the (SQLAlchemy) URL: no "+driver" suffix.
        self._url = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._channels: dict[str, list[asyncio.Event]] = {
            name: list(events) for name, events in (channels or {}).items()
        }
        self._backoff_initial = backoff_initial_seconds
        self._backoff_max = backoff_max_seconds
        self._connect_timeout = connect_timeout_seconds
        self._stopping = asyncio.Event()
        # Set while a connection is listening (tests and readiness wait for it).
        self.listening = asyncio.Event()
        self.connections = 0

    def subscribe(self, channel: str, event: asyncio.Event) -> None:
        """Set `event` on every NOTIFY of `channel` (before `run()` starts)."""
        self._channels.setdefault(channel, []).append(event)

    @property
    def channels(self) -> list[str]:
        """The channels listened to."""
        return sorted(self._channels)

    def stop(self) -> None:
        """Ask the loop to end."""
        self._stopping.set()

    def _wake_all(self) -> None:
        for events in self._channels.values():
            for event in events:
                event.set()

    async def run(self) -> None:
        """Listen until stopped, reconnecting with backoff when the connection fails."""
        failures = 0
        while not self._stopping.is_set():
            try:
                conn = await asyncio.wait_for(
                    psycopg.AsyncConnection.connect(self._url, autocommit=True),
                    timeout=self._connect_timeout,
                )
            except Exception as exc:
                failures += 1
                log.warning("notify.listener.connect_failed", error=type(exc).__name__)
                await self._pause(backoff_delay(failures, self._backoff_initial, self._backoff_max))
                continue
            try:
                for channel in self._channels:
                    await conn.execute(
                        psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel))
                    )
                failures = 0
                self.connections += 1
                self.listening.set()
                # Whatever was committed while no connection listened was never announced.
                self._wake_all()
                await self._listen(conn)
            except Exception as exc:
                failures += 1
                log.warning("notify.listener.lost", error=type(exc).__name__)
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await conn.close()
            if not self._stopping.is_set():
                await self._pause(backoff_delay(failures, self._backoff_initial, self._backoff_max))

    async def _listen(self, conn: psycopg.AsyncConnection[object]) -> None:
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            while not stop.done():
                # A bounded wait lets a stop end the loop; between waits psycopg keeps
                # what arrives in its backlog, so nothing is missed.
                async for note in conn.notifies(timeout=1.0):
                    for event in self._channels.get(note.channel, ()):
                        event.set()
                    if stop.done():
                        break
        finally:
            stop.cancel()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
