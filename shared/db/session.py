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


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Create the service's engine (psycopg 3, pooled)."""
    url = make_url(settings.URL)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"DB__URL must name a PostgreSQL database, not {url.get_backend_name()}")
    return create_async_engine(
        url, echo=settings.ECHO, pool_size=settings.POOL_SIZE, pool_pre_ping=True
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
