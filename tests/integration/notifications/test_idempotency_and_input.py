"""notifications_api: one effect per Idempotency-Key under concurrency; bad input is a 4xx."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from notifications_api.adapters.tables import InfoSession, Subscription
from notifications_api.api.schemas import SubscriptionCreate
from shared.idempotency import IdempotencyRequest, claim, record
from shared.pagination import encode_cursor
from tests.integration.notifications.conftest import AGENCY, JOBCENTER, Harness

SESSION: dict[str, Any] = {
    "location": "WITTEN",
    "starts_at": (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat(),
    "capacity": 25,
    "agentur_org": AGENCY,
    "jobcenter_org": JOBCENTER,
}
SUBSCRIPTION: dict[str, Any] = {
    "url": "http://127.0.0.1:9/hooks",
    "event_types": ["case.transferred"],
    "description": "Fachverfahren",
}


async def hundred_with_one_key(send: Callable[[], Awaitable[httpx.Response]]) -> dict[str, Any]:
    """Send 100 requests, 10 at a time; every answer is the one 201 (or 409 while in flight)."""
    answers: list[httpx.Response] = []
    for _ in range(10):
        answers += await asyncio.gather(*(send() for _ in range(10)))
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, statuses
    created = [a for a in answers if a.status_code == 201]
    first = [a for a in created if "idempotent-replayed" not in a.headers]
    assert len(first) == 1, statuses
    body: dict[str, Any] = first[0].json()
    assert all(a.json() == body for a in created)
    return body


async def rows(harness: Harness, table: type[Subscription] | type[InfoSession]) -> int:
    async with harness.runtime.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(table))
    assert isinstance(count, int)
    return count


class TestOneIdempotencyKeyManyConcurrentRequests:
    """Subscriptions and info sessions are created once, however many repeats race."""

    async def test_subscription_is_created_once(self, harness: Harness) -> None:
        headers = {**harness.auth(AGENCY), "Idempotency-Key": "subscribe-under-load"}

        body = await hundred_with_one_key(
            lambda: harness.client.post("/v1/subscriptions", json=SUBSCRIPTION, headers=headers)
        )

        assert body["secret"], "the replay carries the secret the first answer had"
        assert await rows(harness, Subscription) == 1

    async def test_info_session_is_created_once(self, harness: Harness) -> None:
        headers = {**harness.auth(AGENCY), "Idempotency-Key": "session-under-load"}

        body = await hundred_with_one_key(
            lambda: harness.client.post("/v1/info-sessions", json=SESSION, headers=headers)
        )

        assert body["capacity"] == 25
        assert await rows(harness, InfoSession) == 1

    async def test_another_body_under_the_key_is_refused(self, harness: Harness) -> None:
        headers = {**harness.auth(AGENCY), "Idempotency-Key": "session-reused"}
        first = await harness.client.post("/v1/info-sessions", json=SESSION, headers=headers)
        other = await harness.client.post(
            "/v1/info-sessions", json={**SESSION, "capacity": 30}, headers=headers
        )
        assert first.status_code == 201
        assert other.status_code == 422
        assert other.json()["type"].endswith("idempotency-key-reused")
        assert await rows(harness, InfoSession) == 1


class TestRequestStillInFlight:
    """A repeat waits for the request holding its key, then answers as handover_api does."""

    async def test_a_repeat_waiting_on_the_holder_replays_its_answer(
        self, harness: Harness
    ) -> None:
        idem = self._request("sub-held-briefly")
        async with harness.runtime.sessions() as holder:
            assert await claim(holder, idem) is None
            waiting = asyncio.create_task(self._post(harness, "sub-held-briefly"))
            await self._until_a_backend_waits_for_a_lock(harness)
            await record(holder, idem, 201, '{"id":"first"}', {"Location": "/v1/s/first"})
            await holder.commit()
            repeat = await waiting

        assert repeat.status_code == 201, repeat.text
        assert repeat.json() == {"id": "first"}
        assert repeat.headers["idempotent-replayed"] == "true"
        assert repeat.headers["location"] == "/v1/s/first"
        assert await rows(harness, Subscription) == 0

    async def test_a_holder_that_outlasts_the_wait_gives_409_then_the_key_is_free(
        self, harness: Harness
    ) -> None:
        idem = self._request("sub-held-too-long")
        async with harness.runtime.sessions() as holder:
            await claim(holder, idem)
            started = time.monotonic()
            busy = await self._post(harness, "sub-held-too-long")
            waited = time.monotonic() - started
            await holder.rollback()

        assert busy.status_code == 409, busy.text
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["type"].endswith("idempotency-key-in-progress")
        assert 1.5 < waited < 10, waited
        assert await rows(harness, Subscription) == 0
        retried = await self._post(harness, "sub-held-too-long")
        assert retried.status_code == 201, retried.text
        assert "idempotent-replayed" not in retried.headers
        assert await rows(harness, Subscription) == 1

    async def test_the_same_body_spelt_otherwise_is_a_repeat(self, harness: Harness) -> None:
        headers = {
            **harness.auth(AGENCY),
            "Idempotency-Key": "sub-respelt",
            "Content-Type": "application/json",
        }
        first = await harness.client.post(
            "/v1/subscriptions",
            content=httpx.Request("POST", "/", json=SUBSCRIPTION).content,
            headers=headers,
        )
        respelt = '{ "description": "Fachverfahren", "event_types": ["case.transferred"],\n'
        respelt += '  "url": "http://127.0.0.1:9/hooks" }'
        repeat = await harness.client.post("/v1/subscriptions", content=respelt, headers=headers)

        assert first.status_code == repeat.status_code == 201, repeat.text
        assert repeat.headers["idempotent-replayed"] == "true"
        assert repeat.json() == first.json()
        assert await rows(harness, Subscription) == 1

    @staticmethod
    def _request(key: str) -> IdempotencyRequest:
        body = SubscriptionCreate.model_validate(SUBSCRIPTION)
        idem = IdempotencyRequest.for_body(AGENCY, key, "create_subscription", body)
        assert idem is not None
        return idem

    @staticmethod
    async def _post(harness: Harness, key: str) -> httpx.Response:
        headers = {**harness.auth(AGENCY), "Idempotency-Key": key}
        return await harness.client.post("/v1/subscriptions", json=SUBSCRIPTION, headers=headers)

    @staticmethod
    async def _until_a_backend_waits_for_a_lock(harness: Harness) -> None:
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        deadline = time.monotonic() + 5
        async with harness.runtime.sessions() as session:
            while time.monotonic() < deadline:
                if await session.scalar(waiting):
                    return
                await session.rollback()
                await asyncio.sleep(0.02)
        raise AssertionError("the repeat never waited for the key")


class TestInputLimits:
    """Dates outside 1900-2100 and control characters are 422; bad cursors are 400."""

    @pytest.mark.parametrize(
        "starts_at",
        ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2101-01-01T00:00:00+00:00"],
    )
    async def test_info_session_out_of_range_is_refused(
        self, harness: Harness, starts_at: str
    ) -> None:
        response = await harness.client.post(
            "/v1/info-sessions",
            json={**SESSION, "starts_at": starts_at},
            headers=harness.auth(AGENCY),
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "starts_at"]]
        listed = await harness.client.get(
            "/v1/info-sessions",
            params={"starts_from": starts_at},
            headers=harness.auth(AGENCY),
        )
        assert listed.status_code == 422, listed.text
        assert await rows(harness, InfoSession) == 0

    async def test_control_characters_in_a_subscription_are_refused(self, harness: Harness) -> None:
        for field, value in (
            ("description", "Fach\x00verfahren"),
            ("url", "http://127.0.0.1:9/\x00"),
        ):
            response = await harness.client.post(
                "/v1/subscriptions",
                json={**SUBSCRIPTION, field: value},
                headers=harness.auth(AGENCY),
            )
            assert response.status_code == 422, response.text
            assert [e["loc"] for e in response.json()["errors"]] == [["body", field]]
        assert await rows(harness, Subscription) == 0

    async def test_a_cursor_far_in_the_future_is_400(self, harness: Harness) -> None:
        cursor = encode_cursor(
            {"at": "9999-12-31T23:59:59-12:00", "id": "5b3c2f7e-9a41-4a55-8d7c-1f2e3d4c5b6a"}
        )
        for path in ("/v1/info-sessions", "/v1/subscriptions"):
            response = await harness.client.get(
                path, params={"cursor": cursor}, headers=harness.auth(AGENCY)
            )
            assert response.status_code == 400, (path, response.text)
            assert response.json()["type"].endswith("invalid-cursor")

    async def test_a_nul_in_a_delivery_filter_is_refused(self, harness: Harness) -> None:
        response = await harness.client.get(
            "/v1/deliveries", params={"event_type": "case\x00"}, headers=harness.auth(AGENCY)
        )
        assert response.status_code == 422, response.text
        assert [e["loc"] for e in response.json()["errors"]] == [["query", "event_type"]]
