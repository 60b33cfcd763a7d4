"""Async engine and session factory for the service's PostgreSQL database."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import DatabaseSettings

POOL_RECYCLE_SECONDS = 1800


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Create the service's engine (psycopg 3, pooled)."""
    url = make_url(settings.URL)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"DB__URL must name a PostgreSQL database, not {url.get_backend_name()}")
    # No pre-ping: a `SELECT 1` round trip on every checkout costs each request a statement.
    # A connection that died with its server fails its first statement instead; SQLAlchemy
    # then recognises the disconnect and discards every connection the pool held from before
    # it, and the callers' infrastructure-error handling (consumer and relay retries, the
    # client's retry of a 5xx with its Idempotency-Key) covers the one failed operation.
    # Recycling bounds a connection's age below the idle timeouts of proxies and firewalls.
    # hide_parameters: a statement's bound values (names, Kundennummer, ...) never appear in
    # an error message or a log line, only the statement with its placeholders.
    return create_async_engine(
        url,
        echo=settings.ECHO,
        hide_parameters=True,
        pool_size=settings.POOL_SIZE,
        pool_pre_ping=False,
        pool_recycle=POOL_RECYCLE_SECONDS,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
