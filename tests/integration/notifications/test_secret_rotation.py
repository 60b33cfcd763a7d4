"""Webhook secret rotation: two signatures during the overlap, only the new one after it.

A receiver using the guide's verification code (`docs/examples/receiver.py`) accepts every
delivery of the overlap with either secret and refuses the old secret once it expired.
Deliveries go through the real delivery worker to a real loopback HTTP receiver.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.app import make_sender
from notifications_api.domain.deliveries import RetryPolicy
from notifications_api.use_cases.deliveries import DeliveryWorker
from shared.db.base import utcnow
from tests.guide import example
from tests.integration.notifications.conftest import AGENCY, JOBCENTER, Harness, transferred
from tests.integration.notifications.receiver import ReceivedRequest, local_receiver

guide = example("receiver")


def worker_at(harness: Harness, clock: Callable[[], datetime]) -> DeliveryWorker:
    """The delivery worker with its clock shifted, e.g. past the old secret's expiry."""
    hooks = harness.settings.WEBHOOKS
    runtime = harness.runtime
    return DeliveryWorker(
        uow_factory=lambda: NotificationsUnitOfWork(runtime.sessions, runtime.outbox_signal),
        sender=make_sender(harness.settings, harness.webhook_client),
        policy=RetryPolicy(hooks.MAX_ATTEMPTS, hooks.BACKOFF_SCHEDULE_SECONDS),
        claim_seconds=hooks.CLAIM_SECONDS,
        batch_size=hooks.WORKER_BATCH_SIZE,
        interval_seconds=hooks.WORKER_INTERVAL_SECONDS,
        clock=clock,
    )


async def rotate(
    harness: Harness,
    subscription_id: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await harness.client.post(
        f"/v1/subscriptions/{subscription_id}/rotate-secret",
        json=body,
        headers={**harness.auth(JOBCENTER), **(headers or {})},
    )


def accepts(secret: str, request: ReceivedRequest) -> bool:
    """Whether the guide's receiver accepts the request with `secret`."""
    try:
        guide.verify_webhook(secret, request.headers, request.body)
    except guide.InvalidWebhook:
        return False
    return True


class TestOverlap:
    async def test_either_secret_verifies_during_the_overlap_only_the_new_one_after(
        self, harness: Harness
    ) -> None:
        async with local_receiver() as server, httpx.AsyncClient() as real:
            harness.webhook_client = real
            sub = await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            old_secret = sub["secret"]
            expires_at = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
            answer = await rotate(
                harness, sub["id"], {"old_secret_expires_at": expires_at.isoformat()}
            )
            assert answer.status_code == 200, answer.text
            new_secret = answer.json()["secret"]
            assert new_secret.startswith("whsec_")
            assert new_secret != old_secret
            assert datetime.fromisoformat(answer.json()["old_secret_expires_at"]) == expires_at

            await harness.consume(transferred())
            assert await worker_at(harness, utcnow).run_once() == 1
            await harness.consume(transferred())
            after_expiry = worker_at(harness, lambda: utcnow() + timedelta(hours=2))
            assert await after_expiry.run_once() == 1
            await server.wait_answered(2)

        during, after = server.requests
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert all(s.startswith("v1,") for s in during.headers["webhook-signature"].split(" "))
        assert accepts(new_secret, during)
        assert accepts(old_secret, during)
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        assert accepts(new_secret, after)
        assert not accepts(old_secret, after)

        read = await harness.client.get(
            f"/v1/subscriptions/{sub['id']}", headers=harness.auth(JOBCENTER)
        )
        assert datetime.fromisoformat(read.json()["old_secret_expires_at"]) == expires_at
        assert "secret" not in read.json()
        assert "old_secret" not in read.json()

    async def test_the_old_secret_stays_valid_24_hours_by_default(self, harness: Harness) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        before = datetime.now(UTC)
        answer = await rotate(harness, sub["id"])
        after = datetime.now(UTC)
        assert answer.status_code == 200
        expires_at = datetime.fromisoformat(answer.json()["old_secret_expires_at"])
        assert before + timedelta(hours=24) <= expires_at <= after + timedelta(hours=24)

    async def test_a_second_rotation_drops_the_oldest_secret(self, harness: Harness) -> None:
        async with local_receiver() as server, httpx.AsyncClient() as real:
            harness.webhook_client = real
            sub = await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            middle = (await rotate(harness, sub["id"])).json()["secret"]
            newest = (await rotate(harness, sub["id"])).json()["secret"]
            await harness.consume(transferred())
            assert await worker_at(harness, utcnow).run_once() == 1
            await server.wait_answered(1)
        [request] = server.requests
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        assert accepts(newest, request)
        assert accepts(middle, request)
        assert not accepts(sub["secret"], request)


class TestRequest:
    async def test_idempotency_key_returns_the_same_secret(self, harness: Harness) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        first = await rotate(harness, sub["id"], headers={"Idempotency-Key": "rotate-1"})
        second = await rotate(harness, sub["id"], headers={"Idempotency-Key": "rotate-1"})
        assert first.status_code == second.status_code == 200
        assert second.json()["secret"] == first.json()["secret"]
        assert second.headers["idempotent-replayed"] == "true"

    @pytest.mark.parametrize("offset", [timedelta(days=7, minutes=1), timedelta(minutes=-1)])
    async def test_expiry_beyond_seven_days_or_in_the_past_is_refused(
        self, harness: Harness, offset: timedelta
    ) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        at = (datetime.now(UTC) + offset).isoformat()
        answer = await rotate(harness, sub["id"], {"old_secret_expires_at": at})
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("input-out-of-range")

    async def test_the_documented_example_works(self, harness: Harness) -> None:
        spec = harness.app.openapi()
        [example] = spec["components"]["schemas"]["SecretRotation"]["examples"]
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        answer = await rotate(harness, sub["id"], example)
        assert answer.status_code == 200, answer.text

    async def test_unknown_fields_are_refused(self, harness: Harness) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        answer = await rotate(harness, sub["id"], {"secret": "whsec_AAAA"})
        assert answer.status_code == 422

    async def test_another_organisation_gets_404(self, harness: Harness) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        answer = await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/rotate-secret", headers=harness.auth(AGENCY)
        )
        assert answer.status_code == 404
        unknown = await rotate(harness, str(uuid.uuid4()))
        assert unknown.status_code == 404

    async def test_needs_the_write_scope(self, harness: Harness) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        answer = await harness.client.post(
            f"/v1/subscriptions/{sub['id']}/rotate-secret",
            headers=harness.auth(JOBCENTER, ["subscriptions:read"]),
        )
        assert answer.status_code == 403
