"""PostgreSQL session advisory locks: one replica at a time runs a singleton task.

The lock lives on a connection of its own. PostgreSQL releases it the moment that
connection or the process holding it dies, so a surviving replica takes over within its
retry interval instead of waiting for a lease to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from shared.logging import get_logger

log = get_logger(__name__)


def lock_key(name: str) -> int:
    """The signed 64-bit key of a named lock (stable across processes and versions)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def engine_of(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine a session factory is bound to."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("the session factory is not bound to an AsyncEngine")
    return bind


class AdvisoryLock:
    """A named session advisory lock held on a dedicated connection.

    `acquire()` takes the lock when it is free and, while held, checks that its connection
    still answers: a holder whose connection was terminated learns it there and must stop.
    """

    def __init__(self, engine: AsyncEngine, name: str, *, check_timeout: float = 2.0) -> None:
        self._engine = engine
        self.name = name
        self.key = lock_key(name)
        self._check_timeout = check_timeout
        self._conn: AsyncConnection | None = None
        self.backend_pid: int | None = None

    @property
    def held(self) -> bool:
        """Whether this process believes it holds the lock (not checked against the server)."""
        return self._conn is not None

    async def acquire(self) -> bool:
        """Take the lock if it is free, or check the held one; True if this holder has it now."""
        if self._conn is not None:
            return await self.check()
        conn = await asyncio.wait_for(self._engine.connect(), timeout=self._check_timeout * 5)
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got, pid = (
                await asyncio.wait_for(
                    conn.execute(
                        select(func.pg_try_advisory_lock(self.key), func.pg_backend_pid())
                    ),
                    timeout=self._check_timeout,
                )
            ).one()
        except BaseException:
            await _discard(conn)
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        self.backend_pid = int(pid)
        log.info("advisory_lock.acquired", lock=self.name)
        return True

    async def check(self) -> bool:
        """Whether the held lock is still ours: its connection answers within the timeout."""
        conn = self._conn
        if conn is None:
            return False
        try:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=self._check_timeout)
        except Exception as exc:
            log.warning("advisory_lock.lost", lock=self.name, error=type(exc).__name__)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        """Unlock and return the connection; dropped instead if it does not answer."""
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        self.backend_pid = None
        try:
            await asyncio.wait_for(
                conn.execute(select(func.pg_advisory_unlock(self.key))),
                timeout=self._check_timeout,
            )
        except Exception as exc:
            # A connection that may still hold the lock must never go back to the pool.
            log.warning("advisory_lock.release_failed", lock=self.name, error=type(exc).__name__)
            await _discard(conn)
            return
        except BaseException:
            await _discard(conn)
            raise
        await conn.close()
        log.info("advisory_lock.released", lock=self.name)

    async def _drop(self) -> None:
        conn = self._conn
        self._conn = None
        self.backend_pid = None
        if conn is not None:
            await _discard(conn)


async def _discard(conn: AsyncConnection) -> None:
    """Close a connection without returning it to the pool (it may hold a lock)."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
