"""The Alembic history of eligibility_api: up, down, up again, and in step with the models."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from eligibility_api.adapters.tables import metadata
from shared.db import migrations
from shared.db.session import create_engine
from shared.settings import DatabaseSettings
from tests.conftest import DatabaseFactory

SERVICE_TABLES = {"eligibility_checks", "case_facts", "scheduled_transitions"}
INFRA_TABLES = {"outbox", "inbox", "leases", "idempotency_keys"}


async def _inspect(url: str, fn: Any) -> Any:
    engine = create_engine(DatabaseSettings(URL=url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


def _diff(conn: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


class TestMigrations:
    async def test_up_down_up(self, database: DatabaseFactory) -> None:
        url = database("mig")

        await asyncio.to_thread(migrations.upgrade, "eligibility_api", url)
        assert await _inspect(url, _tables) == SERVICE_TABLES | INFRA_TABLES

        await asyncio.to_thread(migrations.downgrade, "eligibility_api", url, "base")
        assert await _inspect(url, _tables) == set()

        await asyncio.to_thread(migrations.upgrade, "eligibility_api", url)
        assert await _inspect(url, _tables) == SERVICE_TABLES | INFRA_TABLES

    async def test_head_matches_the_models(self, database: DatabaseFactory) -> None:
        url = database("mig")

        await asyncio.to_thread(migrations.upgrade, "eligibility_api", url)

        assert await _inspect(url, _diff) == []

    async def test_exactly_once_key_exists(self, database: DatabaseFactory) -> None:
        url = database("mig")
        await asyncio.to_thread(migrations.upgrade, "eligibility_api", url)

        def uniques(conn: Connection) -> list[list[str]]:
            found = inspect(conn).get_unique_constraints("scheduled_transitions")
            return [list(u["column_names"]) for u in found]

        assert ["case_id", "alg1_end_date"] in await _inspect(url, uniques)
