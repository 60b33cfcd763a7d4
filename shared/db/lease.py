"""A named lease in the database so that one replica at a time runs a singleton task."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.base import utcnow
from shared.db.tables import LEASES


class Lease:
    """Acquire-or-renew semantics: the holder renews before `ttl` runs out, others wait."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        name: str,
        holder: str,
        ttl_seconds: float,
    ) -> None:
        self._sessions = session_factory
        self.name = name
        self.holder = holder
        self._ttl = timedelta(seconds=ttl_seconds)

    async def acquire(self) -> bool:
        """Take or renew the lease; True if this holder has it now."""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(LEASES)
                .where(LEASES.c.name == self.name)
                .where(or_(LEASES.c.holder == self.holder, LEASES.c.expires_at < now))
                .values(holder=self.holder, expires_at=now + self._ttl)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return True
        try:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    insert(LEASES).values(
                        name=self.name, holder=self.holder, expires_at=now + self._ttl
                    )
                )
        except IntegrityError:
            return False
        return True

    async def release(self) -> None:
        """Give the lease up so another replica can take over at once."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(LEASES)
                .where(LEASES.c.name == self.name, LEASES.c.holder == self.holder)
                .values(expires_at=utcnow() - self._ttl)
            )
