"""Every service's Alembic history: up, down to base, up again, and in step with its models."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from shared.db import migrations
from shared.db.session import create_engine
from shared.settings import DatabaseSettings
from tests.conftest import DatabaseFactory

SERVICES = ["handover_api", "eligibility_api", "notifications_api"]


def service_metadata(service: str) -> MetaData:
    """The service's ORM metadata (infrastructure tables included)."""
    metadata: MetaData = importlib.import_module(f"{service}.adapters.tables").metadata
    return metadata


async def inspect_db(url: str, fn: Any) -> Any:
    engine = create_engine(DatabaseSettings(URL=url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


@pytest.mark.parametrize("service", SERVICES)
class TestStairway:
    """The history applies, reverts completely and applies again."""

    async def test_up_down_up(self, service: str, postgres_database: DatabaseFactory) -> None:
        url = postgres_database("stairway")
        expected = set(service_metadata(service).tables)

        await asyncio.to_thread(migrations.upgrade, service, url)
        assert await inspect_db(url, tables) == expected

        await asyncio.to_thread(migrations.downgrade, service, url, "base")
        assert await inspect_db(url, tables) == set()

        await asyncio.to_thread(migrations.upgrade, service, url)
        assert await inspect_db(url, tables) == expected

    async def test_head_matches_the_models(
        self, service: str, postgres_database: DatabaseFactory
    ) -> None:
        url = postgres_database("stairway")
        await asyncio.to_thread(migrations.upgrade, service, url)

        def diff(conn: Connection) -> list[Any]:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, service_metadata(service)))

        assert await inspect_db(url, diff) == []
