"""One case per Kundennummer and organisation, held by PostgreSQL's unique index."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter

import psycopg
import pytest
from sqlalchemy import func, make_url, select

from handover_api.adapters.tables import Case
from handover_api.api.schemas import CASE_EXAMPLE
from shared.db import migrations
from tests.conftest import DatabaseFactory
from tests.examples import with_fresh_kundennummer
from tests.integration.handover.conftest import AGENCY, OTHER, HandoverHarness


async def cases_with(h: HandoverHarness, kundennummer: str) -> int:
    async with h.app.state.runtime.sessions() as session:
        stmt = select(func.count()).select_from(Case).where(Case.kundennummer == kundennummer)
        return int(await session.scalar(stmt) or 0)


class TestDuplicate:
    """A second case of one organisation with the same Kundennummer answers 409."""

    async def test_second_case_names_the_first(self, harness: HandoverHarness) -> None:
        h = harness
        body = with_fresh_kundennummer(CASE_EXAMPLE)
        first = await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
        assert first.status_code == 201

        second = await h.client.post(
            "/v1/cases", json={**body, "municipality": "Gevelsberg"}, headers=h.auth(AGENCY)
        )

        assert second.status_code == 409
        assert second.headers["content-type"] == "application/problem+json"
        problem = second.json()
        assert problem["type"] == "urn:handover-broker:problem:duplicate-kundennummer"
        assert first.json()["id"] in problem["detail"]
        assert body["kundennummer"] not in problem["detail"]
        assert await cases_with(h, body["kundennummer"]) == 1

    async def test_another_organisation_may_use_the_number(self, harness: HandoverHarness) -> None:
        h = harness
        body = with_fresh_kundennummer(CASE_EXAMPLE)
        assert (
            await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
        ).status_code == 201
        other = await h.client.post("/v1/cases", json=body, headers=h.auth(OTHER))
        assert other.status_code == 201
        assert await cases_with(h, body["kundennummer"]) == 2

    async def test_cases_without_a_number_never_collide(self, harness: HandoverHarness) -> None:
        h = harness
        body = {k: v for k, v in CASE_EXAMPLE.items() if k != "kundennummer"}
        for _ in range(2):
            created = await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
            assert created.status_code == 201

    async def test_a_repeat_with_the_idempotency_key_gets_the_first_answer(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        body = with_fresh_kundennummer(CASE_EXAMPLE)
        headers = {**h.auth(AGENCY), "Idempotency-Key": f"kn-{uuid.uuid4()}"}
        first = await h.client.post("/v1/cases", json=body, headers=headers)
        repeat = await h.client.post("/v1/cases", json=body, headers=headers)
        other_key = await h.client.post(
            "/v1/cases", json=body, headers={**headers, "Idempotency-Key": f"kn-{uuid.uuid4()}"}
        )

        assert first.status_code == repeat.status_code == 201
        assert repeat.headers["Idempotent-Replayed"] == "true"
        assert repeat.content == first.content
        assert other_key.status_code == 409
        assert first.json()["id"] in other_key.json()["detail"]

    async def test_a_refused_duplicate_leaves_nothing_behind(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        body = with_fresh_kundennummer(CASE_EXAMPLE)
        await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
        await h.drain_outbox()
        before = len(h.publisher.on_topic("case.registered"))
        refused = await h.client.post(
            "/v1/cases",
            json=body,
            headers={**h.auth(AGENCY), "Idempotency-Key": "refused-once"},
        )
        assert refused.status_code == 409
        await h.drain_outbox()
        assert len(h.publisher.on_topic("case.registered")) == before
        # The key was not used up by the refusal: the same request is refused again.
        again = await h.client.post(
            "/v1/cases",
            json=body,
            headers={**h.auth(AGENCY), "Idempotency-Key": "refused-once"},
        )
        assert again.status_code == 409


class TestConcurrentCreation:
    """Concurrent requests with one Kundennummer: the index lets exactly one through."""

    async def test_exactly_one_of_ten_concurrent_requests_creates(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        body = with_fresh_kundennummer(CASE_EXAMPLE)

        answers = await asyncio.gather(
            *(
                h.client.post(
                    "/v1/cases",
                    json=body,
                    headers={**h.auth(AGENCY), "Idempotency-Key": f"race-{n}"},
                )
                for n in range(10)
            )
        )

        statuses = Counter(a.status_code for a in answers)
        assert statuses == {201: 1, 409: 9}, [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 201).json()["id"]
        for refused in (a for a in answers if a.status_code == 409):
            assert refused.json()["type"].endswith("duplicate-kundennummer")
            assert winner in refused.json()["detail"]
        assert await cases_with(h, body["kundennummer"]) == 1


class TestMigrationOfExistingDuplicates:
    """Cases created before the index may share a number: the oldest keeps it."""

    async def test_later_duplicates_lose_the_number(
        self, postgres_database: DatabaseFactory, caplog: pytest.LogCaptureFixture
    ) -> None:
        url = postgres_database("kn")
        await asyncio.to_thread(migrations.upgrade, "handover_api", url, "0003")
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        oldest, later, foreign = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        rows = [
            (oldest, AGENCY, "2026-01-05T08:00:00Z"),
            (later, AGENCY, "2026-01-06T08:00:00Z"),
            (foreign, OTHER, "2026-01-07T08:00:00Z"),
        ]
        with psycopg.connect(dsn, autocommit=True) as conn:
            for case_id, org, at in rows:
                conn.execute(
                    "INSERT INTO cases (id, owner_org, created_by_org, kundennummer, person, "
                    "facts, version, created_at, updated_at) VALUES "
                    '(%s, %s, %s, \'123A456789\', \'{"given_name": "E", "family_name": "M"}\','
                    " '{}', 1, %s, %s)",
                    (case_id, org, org, at, at),
                )

        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            await asyncio.to_thread(migrations.upgrade, "handover_api", url)

        assert f"case {later} lost its Kundennummer: case {oldest}" in caplog.text
        assert "123A456789" not in caplog.text
        with psycopg.connect(dsn) as conn:
            numbers: dict[uuid.UUID, str | None] = dict(
                conn.execute("SELECT id, kundennummer FROM cases").fetchall()
            )
            assert numbers == {oldest: "123A456789", later: None, foreign: "123A456789"}
            duplicate = (uuid.uuid4(), AGENCY, AGENCY)
            try:
                conn.execute(
                    "INSERT INTO cases (id, owner_org, created_by_org, kundennummer, person, "
                    "facts, version, created_at, updated_at) VALUES "
                    "(%s, %s, %s, '123A456789', '{}', '{}', 1, now(), now())",
                    duplicate,
                )
            except psycopg.errors.UniqueViolation:
                conn.rollback()
            else:  # pragma: no cover - the index must refuse it
                raise AssertionError("the unique index let a duplicate in")
