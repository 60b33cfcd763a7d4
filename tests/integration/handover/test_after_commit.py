"""After-commit callbacks run once the transaction committed on PostgreSQL, and only then."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.handover.conftest import HandoverHarness


async def test_callbacks_run_after_a_commit_and_never_after_a_rollback(
    harness: HandoverHarness,
) -> None:
    ran: list[str] = []
    runtime = harness.app.state.runtime

    async with runtime.make_uow() as uow:
        await uow.session.execute(text("SELECT 1"))
        uow.after_commit(lambda: ran.append("committed"))
        assert ran == []
        await uow.commit()
    assert ran == ["committed"]

    async with runtime.make_uow() as uow:
        uow.after_commit(lambda: ran.append("rolled back"))
        await uow.rollback()
        await uow.commit()
    async with runtime.make_uow() as uow:
        uow.after_commit(lambda: ran.append("left open"))
    assert ran == ["committed"]


async def test_a_commit_the_database_refuses_runs_no_callback(harness: HandoverHarness) -> None:
    ran: list[str] = []
    async with harness.app.state.runtime.make_uow() as uow:
        # A constraint checked at commit time: the COMMIT itself fails.
        await uow.session.execute(
            text(
                "CREATE TEMP TABLE deferred_check (id int PRIMARY KEY, parent int "
                "REFERENCES deferred_check (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
        await uow.session.execute(text("INSERT INTO deferred_check VALUES (1, 2)"))
        uow.after_commit(lambda: ran.append("committed"))
        with pytest.raises(DBAPIError):
            await uow.commit()
    assert ran == []
