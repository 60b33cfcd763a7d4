"""eligibility_api's schema keeps the exactly-once key of transition scheduling.

Up/down/up and model parity of every history: tests/integration/test_migrations.py.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from shared.db import migrations
from tests.conftest import DatabaseFactory
from tests.integration.test_migrations import inspect_db


async def test_exactly_once_key_exists(postgres_database: DatabaseFactory) -> None:
    url = postgres_database("mig")
    await asyncio.to_thread(migrations.upgrade, "eligibility_api", url)

    def uniques(conn: Connection) -> list[list[str]]:
        found = inspect(conn).get_unique_constraints("scheduled_transitions")
        return [list(u["column_names"]) for u in found]

    assert ["case_id", "alg1_end_date"] in await inspect_db(url, uniques)
