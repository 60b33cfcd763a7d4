"""A 410 Gone answer disables a subscription; its deliveries end; its owner enables it again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from notifications_api.app import make_sender, make_worker
from notifications_api.use_cases.deliveries import DeliveryWorker
from tests.integration.notifications.conftest import (
    AGENCY,
    FAST_WEBHOOKS,
    JOBCENTER,
    Harness,
    transferred,
)
from tests.integration.notifications.receiver import LocalReceiver, ReceivedRequest, local_receiver


@pytest.fixture
async def gone(harness: Harness) -> AsyncIterator[LocalReceiver]:
    """A loopback receiver that answers 410 first; the harness sends webhooks to it."""
    async with local_receiver(statuses=[410]) as server, httpx.AsyncClient() as real:
        harness.webhook_client = real
        yield server


def one_at_a_time(harness: Harness) -> DeliveryWorker:
    """A worker that claims one delivery per run (the earliest due)."""
    settings = harness.settings.model_copy(
        update={"WEBHOOKS": FAST_WEBHOOKS.model_copy(update={"WORKER_BATCH_SIZE": 1})}
    )
    return make_worker(settings, harness.runtime, make_sender(settings, harness.webhook_client))


async def deliveries(harness: Harness, **params: str) -> list[dict[str, Any]]:
    response = await harness.client.get(
        "/v1/deliveries", params={"limit": 100, **params}, headers=harness.auth(JOBCENTER)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def subscription(harness: Harness, subscription_id: str) -> dict[str, Any]:
    response = await harness.client.get(
        f"/v1/subscriptions/{subscription_id}", headers=harness.auth(JOBCENTER)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def disable_by_gone(harness: Harness, server: LocalReceiver) -> dict[str, Any]:
    """A subscription with three deliveries whose first attempt is answered 410."""
    sub = await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
    for _ in range(3):
        assert await harness.consume(transferred()) == "processed"
    assert await one_at_a_time(harness).run_once() == 1
    return sub


class TestGoneDisablesTheSubscription:
    async def test_subscription_shows_disabled_with_when_and_why(
        self, harness: Harness, gone: LocalReceiver
    ) -> None:
        sub = await disable_by_gone(harness, gone)
        body = await subscription(harness, sub["id"])
        assert body["status"] == "disabled"
        assert body["disabled_reason"] == "receiver_gone"
        assert body["disabled_at"] is not None

        listed = await harness.client.get("/v1/subscriptions", headers=harness.auth(JOBCENTER))
        [item] = listed.json()["items"]
        assert (item["id"], item["status"]) == (sub["id"], "disabled")
        for status, expected in (("disabled", [sub["id"]]), ("active", [])):
            page = await harness.client.get(
                "/v1/subscriptions", params={"status": status}, headers=harness.auth(JOBCENTER)
            )
            assert [i["id"] for i in page.json()["items"]] == expected

    async def test_pending_deliveries_end_failed_saying_why(
        self, harness: Harness, gone: LocalReceiver
    ) -> None:
        await disable_by_gone(harness, gone)
        assert len(gone.requests) == 1
        assert await deliveries(harness, status="pending") == []
        failed = await deliveries(harness, status="failed")
        assert len(failed) == 3
        [answered] = [d for d in failed if d["attempt_count"] == 1]
        assert (answered["last_status_code"], answered["last_error"]) == (410, "http_410")
        ended = [d for d in failed if d["attempt_count"] == 0]
        assert [d["last_error"] for d in ended] == ["subscription_disabled"] * 2
        assert all(d["completed_at"] is not None for d in failed)

    async def test_no_delivery_is_created_or_attempted_while_disabled(
        self, harness: Harness, gone: LocalReceiver
    ) -> None:
        sub = await disable_by_gone(harness, gone)
        other = await harness.subscribe(JOBCENTER, ["case.transferred"], url=gone.url)
        assert await harness.consume(transferred()) == "processed"
        created = await deliveries(harness, subscription_id=sub["id"])
        assert len(created) == 3
        [for_other] = await deliveries(harness, subscription_id=other["id"])
        await harness.worker().run_once()
        assert [r.headers["webhook-id"] for r in gone.requests[1:]] == [for_other["id"]]

    async def test_deliveries_in_flight_when_it_is_disabled_end_too(self, harness: Harness) -> None:
        both_sent = asyncio.Event()

        async def hold_until_both_are_sent(request: ReceivedRequest) -> None:
            # Both deliveries are in flight when the 410 comes back, whatever the scheduling.
            if len(server.requests) >= 2:
                both_sent.set()
            await asyncio.wait_for(both_sent.wait(), timeout=10)

        async with local_receiver(statuses=[410, 500]) as server, httpx.AsyncClient() as real:
            server.before_answer = hold_until_both_are_sent
            harness.webhook_client = real
            await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            for _ in range(2):
                await harness.consume(transferred())
            worker = harness.worker()
            assert await worker.run_once() == 2
            # Whichever finished first, the other ends by the next run without a request.
            await worker.run_once()
        assert len(server.requests) == 2
        assert await deliveries(harness, status="pending") == []
        assert {d["last_status_code"] for d in await deliveries(harness, status="failed")} == {
            410,
            500,
        }

    async def test_redeliver_while_disabled_is_a_conflict(
        self, harness: Harness, gone: LocalReceiver
    ) -> None:
        await disable_by_gone(harness, gone)
        [delivery, *_] = await deliveries(harness)
        response = await harness.client.post(
            f"/v1/deliveries/{delivery['id']}/redeliver", headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("subscription-disabled")


class TestEnable:
    async def test_owner_enables_and_new_events_flow_again(
        self, harness: Harness, gone: LocalReceiver
    ) -> None:
        sub = await disable_by_gone(harness, gone)
        response = await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/enable", headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["disabled_at"], body["disabled_reason"]) == (
            "active",
            None,
            None,
        )
        assert await harness.consume(transferred()) == "processed"
        assert await harness.worker().run_once() == 1
        assert [r.status for r in gone.answered] == [410, 200]
        # The deliveries that ended with the disabling stay failed unless asked for.
        assert len(await deliveries(harness, status="failed")) == 3

    async def test_enable_can_redeliver_what_ended_with_the_disabling(
        self, harness: Harness, gone: LocalReceiver
    ) -> None:
        sub = await disable_by_gone(harness, gone)
        ended = {d["id"] for d in await deliveries(harness, status="failed")}
        response = await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/enable",
            json={"redeliver_disabled": True},
            headers=harness.auth(JOBCENTER),
        )
        assert response.status_code == 200, response.text
        assert {d["id"] for d in await deliveries(harness, status="pending")} == ended
        await harness.worker().run_once()
        assert {d["id"] for d in await deliveries(harness, status="succeeded")} == ended
        resent = [r.headers["webhook-id"] for r in gone.requests[1:]]
        assert sorted(resent) == sorted(ended)

    async def test_failed_delivery_can_be_redelivered_after_enabling(
        self, harness: Harness, gone: LocalReceiver
    ) -> None:
        sub = await disable_by_gone(harness, gone)
        [answered] = [d for d in await deliveries(harness) if d["last_status_code"] == 410]
        await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/enable", headers=harness.auth(JOBCENTER)
        )
        response = await harness.client.post(
            f"/v1/deliveries/{answered['id']}/redeliver", headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 202
        await harness.worker().run_once()
        assert [r.headers["webhook-id"] for r in gone.requests] == [answered["id"]] * 2
        detail = await harness.client.get(
            f"/v1/deliveries/{answered['id']}", headers=harness.auth(JOBCENTER)
        )
        assert [a["status_code"] for a in detail.json()["attempts"]] == [410, 200]
        assert detail.json()["status"] == "succeeded"

    async def test_another_organisation_gets_404(
        self, harness: Harness, gone: LocalReceiver
    ) -> None:
        sub = await disable_by_gone(harness, gone)
        response = await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/enable", headers=harness.auth(AGENCY)
        )
        assert response.status_code == 404
        assert (await subscription(harness, sub["id"]))["status"] == "disabled"

    async def test_enabling_an_active_subscription_changes_nothing(self, harness: Harness) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        response = await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/enable", headers=harness.auth(JOBCENTER)
        )
        assert response.status_code == 200
        assert response.json()["status"] == "active"
        assert response.json()["created_at"] == sub["created_at"]

    async def test_needs_the_write_scope_and_an_existing_subscription(
        self, harness: Harness
    ) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        read_only = await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/enable",
            headers=harness.auth(JOBCENTER, ["subscriptions:read"]),
        )
        assert read_only.status_code == 403
        await harness.client.delete(
            f"/v1/subscriptions/{sub['id']}", headers=harness.auth(JOBCENTER)
        )
        for subscription_id in (sub["id"], str(uuid.uuid4())):
            response = await harness.client.post(
                f"/v1/subscriptions/{subscription_id}/enable", headers=harness.auth(JOBCENTER)
            )
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"

    async def test_unknown_option_is_a_validation_problem(self, harness: Harness) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        response = await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/enable",
            json={"redeliver": True},
            headers=harness.auth(JOBCENTER),
        )
        assert response.status_code == 422
