"""The request path's cost: statements per creating request, static organisations, the pool."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from handover_api.adapters.repositories import OrganisationDirectory
from handover_api.api.schemas import CASE_EXAMPLE
from tests.integration.handover.conftest import AGENCY, JOBCENTER, HandoverHarness

START_BODY = {
    "reason": "ALG1_EXHAUSTED",
    "to_org": JOBCENTER,
    "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
}


def _is_outbox_signal(statement: str) -> bool:
    # The outbox's wake-up signal to the relay belongs to the messaging path, not to the
    # statements of the use case pinned here.
    return statement.startswith(("SELECT pg_notify", "NOTIFY"))


@contextmanager
def statements(h: HandoverHarness) -> Iterator[list[str]]:
    """The statements this task sends through the app's engine while the block runs.

    The in-process client runs the app in the calling task, so the periodic jobs' statements
    (their own tasks) are left out.
    """
    seen: list[str] = []
    engine = h.app.state.runtime.engine.sync_engine
    task = asyncio.current_task()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        text = " ".join(statement.split())
        if asyncio.current_task() is task and not _is_outbox_signal(text):
            seen.append(text)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def listing(seen: list[str]) -> str:
    return "\n".join(s[:90] for s in seen)


async def create_case(h: HandoverHarness, key: str | None = None) -> str:
    headers = h.auth(AGENCY) | ({"Idempotency-Key": key} if key else {})
    response = await h.client.post("/v1/cases", json=CASE_EXAMPLE, headers=headers)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


async def start(
    h: HandoverHarness, case_id: str, key: str | None = None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    headers = h.auth(AGENCY) | ({"Idempotency-Key": key} if key else {})
    response = await h.client.post(
        f"/v1/cases/{case_id}/handovers", json=body or START_BODY, headers=headers
    )
    result: dict[str, Any] = {**response.json(), "http_status": response.status_code}
    return result


def directory_of(h: HandoverHarness) -> OrganisationDirectory:
    from handover_api.adapters.repositories import organisation_directory

    sessions = h.app.state.runtime.sessions
    return organisation_directory(sessions())


class TestStatementsPerRequest:
    """Pinned counts: a statement added to these paths must be a decision, not a drift."""

    async def test_a_handover_start_with_an_idempotency_key_takes_nine_statements(
        self, harness: HandoverHarness
    ) -> None:
        await start(harness, await create_case(harness))  # the organisations are read once
        case_id = await create_case(harness)
        with statements(harness) as seen:
            answer = await start(harness, case_id, key=uuid.uuid4().hex)
        assert answer["http_status"] == 201, answer
        # 3 claim the key, 1 locks the case and checks for an active handover, 1 stages
        # handover.requested, 1 reads the documents, the handover and the stored answer, and
        # 1 the audit records, unchained and without a lock: the sealer chains them later
        # (`AuditRepository.seal`), so audited requests never wait for each other.
        assert len(seen) == 9, listing(seen)
        assert len([s for s in seen if "audit" in s]) == 1
        assert not [s for s in seen if "organisations" in s]
        assert len([s for s in seen if "FROM documents" in s]) == 1

    async def test_a_handover_start_without_a_key_takes_five_statements(
        self, harness: HandoverHarness
    ) -> None:
        await start(harness, await create_case(harness))
        case_id = await create_case(harness)
        with statements(harness) as seen:
            answer = await start(harness, case_id)
        assert answer["http_status"] == 201, answer
        assert len(seen) == 5, listing(seen)

    async def test_a_case_creation_with_an_idempotency_key_takes_seven_statements(
        self, harness: HandoverHarness
    ) -> None:
        with statements(harness) as seen:
            await create_case(harness, uuid.uuid4().hex)
        assert len(seen) == 7, listing(seen)

    async def test_the_answer_of_a_start_shows_what_blocks_it_without_a_second_read(
        self, harness: HandoverHarness
    ) -> None:
        case_id = await create_case(harness)
        upload = await harness.client.post(
            f"/v1/cases/{case_id}/documents",
            files={"file": ("a.pdf", b"%PDF-1.7\n" + b"x" * 100, "application/pdf")},
            data={"type": "ALG1_APPROVAL"},
            headers=harness.auth(AGENCY),
        )
        assert upload.status_code == 201, upload.text
        answer = await start(harness, case_id)
        assert answer["http_status"] == 201
        assert "ALG1_APPROVAL" not in answer["missing_documents"]
        assert answer["missing_documents"]
        read = await harness.client.get(
            f"/v1/handovers/{answer['id']}", headers=harness.auth(AGENCY)
        )
        assert read.json()["missing_documents"] == answer["missing_documents"]
        assert read.json()["blocking"] == answer["blocking"]


class TestStaticOrganisations:
    async def test_a_second_start_reads_no_organisation(self, harness: HandoverHarness) -> None:
        first = await create_case(harness)
        with statements(harness) as seen:
            assert (await start(harness, first))["http_status"] == 201
        assert len([s for s in seen if "FROM organisations" in s]) <= 1
        second = await create_case(harness)
        with statements(harness) as seen:
            assert (await start(harness, second))["http_status"] == 201
        assert not [s for s in seen if "organisations" in s]

    async def test_an_unknown_target_is_refused_without_reading_again(
        self, harness: HandoverHarness
    ) -> None:
        await start(harness, await create_case(harness))
        case_id = await create_case(harness)
        with statements(harness) as seen:
            answer = await start(harness, case_id, body={**START_BODY, "to_org": "jobcenter-x"})
        assert answer["http_status"] == 422
        assert answer["type"].endswith(":unknown-organisation")
        assert not [s for s in seen if "organisations" in s]

    async def test_the_own_organisation_is_still_no_target(self, harness: HandoverHarness) -> None:
        answer = await start(
            harness, await create_case(harness), body={**START_BODY, "to_org": AGENCY}
        )
        assert answer["http_status"] == 422

    async def test_an_expired_copy_is_read_again(self, harness: HandoverHarness) -> None:
        await start(harness, await create_case(harness))
        directory_of(harness).expire()
        with statements(harness) as seen:
            assert (await start(harness, await create_case(harness)))["http_status"] == 201
        assert len([s for s in seen if "FROM organisations" in s]) == 1


class TestConnectionPool:
    async def test_connections_are_not_pinged_on_checkout(self, harness: HandoverHarness) -> None:
        pool = harness.app.state.runtime.engine.sync_engine.pool
        assert pool._pre_ping is False
        assert pool._recycle > 0

    async def test_the_pool_recovers_after_its_connections_died(
        self, harness: HandoverHarness
    ) -> None:
        await create_case(harness)
        url = make_url(harness.settings.DB.URL).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        statuses = []
        transport = httpx.ASGITransport(app=harness.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for _ in range(4):
                response = await client.post(
                    "/v1/cases", json=CASE_EXAMPLE, headers=harness.auth(AGENCY)
                )
                statuses.append(response.status_code)
        # Without a ping the first use of a dead connection fails; the disconnect then empties
        # the pool, so every later request gets a new connection.
        assert statuses.count(500) <= 1, statuses
        assert statuses[1:] == [201, 201, 201], statuses
