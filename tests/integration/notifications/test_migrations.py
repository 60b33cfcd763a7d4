"""Alembic history of notifications_api: up, down, up again, and no drift from the models."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from notifications_api.adapters.tables import metadata
from shared.db import migrations
from shared.db.session import create_engine
from shared.settings import DatabaseSettings
from tests.conftest import DatabaseFactory

SERVICE_TABLES = {
    "subscriptions",
    "deliveries",
    "delivery_attempts",
    "info_sessions",
    "invitations",
}
INFRA_TABLES = {"outbox", "inbox", "leases", "idempotency_keys"}


async def inspect_db(url: str) -> tuple[set[str], list[object]]:
    """Table names and the differences between the models and the migrated schema."""
    engine = create_engine(DatabaseSettings(URL=url))

    def read(connection: Connection) -> tuple[set[str], list[object]]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return set(inspect(connection).get_table_names()), list(compare_metadata(context, metadata))

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


class TestMigrations:
    async def test_up_down_up_leaves_the_modelled_schema(self, database: DatabaseFactory) -> None:
        url = database("notifications_migrations")
        await asyncio.to_thread(migrations.upgrade, "notifications_api", url)
        tables, diff = await inspect_db(url)
        assert tables >= SERVICE_TABLES | INFRA_TABLES
        assert diff == []

        await asyncio.to_thread(migrations.downgrade, "notifications_api", url, "base")
        tables, _ = await inspect_db(url)
        assert tables <= {"alembic_version"}

        await asyncio.to_thread(migrations.upgrade, "notifications_api", url)
        tables, diff = await inspect_db(url)
        assert tables >= SERVICE_TABLES | INFRA_TABLES
        assert diff == []
