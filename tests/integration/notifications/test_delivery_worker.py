"""The delivery worker against a real HTTP receiver: signatures, retries, claims."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from notifications_api.adapters.tables import Delivery
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.adapters.webhooks import HttpxWebhookSender
from notifications_api.app import create_app
from notifications_api.domain.deliveries import WebhookRequest
from notifications_api.domain.signing import verify
from notifications_api.domain.urls import UrlPolicy
from notifications_api.use_cases.deliveries import enqueue_deliveries
from services.issuer import DevIssuer
from shared.db.session import create_engine, create_session_factory
from shared.messaging.memory import InMemoryPublisher
from shared.settings import DatabaseSettings
from tests.integration.notifications.conftest import (
    AGENCY,
    FAST_WEBHOOKS,
    JOBCENTER,
    Harness,
    Receiver,
    notifications_settings,
    transferred,
)
from tests.integration.notifications.receiver import local_receiver


async def run_until_settled(harness: Harness, rounds: int = 10) -> None:
    worker = harness.worker()
    for _ in range(rounds):
        if await worker.run_once() == 0:
            return


class TestRetriesAgainstARealServer:
    async def test_fails_twice_then_succeeds_with_valid_signatures(self, harness: Harness) -> None:
        async with local_receiver(statuses=[500, 503]) as server, httpx.AsyncClient() as real:
            harness.webhook_client = real
            sub = await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            event = transferred()
            assert await harness.consume(event) == "processed"
            await run_until_settled(harness)

        assert len(server.requests) == 3
        ids = {r.headers["webhook-id"] for r in server.requests}
        assert len(ids) == 1  # stable across retries
        for request in server.requests:
            assert request.method == "POST"
            assert request.headers["content-type"] == "application/cloudevents+json"
            assert verify(
                sub["secret"],
                request.headers["webhook-id"],
                int(request.headers["webhook-timestamp"]),
                request.body,
                request.headers["webhook-signature"],
            )
            cloudevent = json.loads(request.body)
            assert cloudevent["id"] == str(event.id)
            assert cloudevent["type"] == "de.handover.case.transferred.v1"
            assert cloudevent["data"]["to_org"] == JOBCENTER

        detail = await harness.client.get(
            f"/v1/deliveries/{ids.pop()}", headers=harness.auth(JOBCENTER)
        )
        body = detail.json()
        assert body["status"] == "succeeded"
        assert body["attempt_count"] == 3
        assert [a["status_code"] for a in body["attempts"]] == [500, 503, 200]
        assert [a["attempt_number"] for a in body["attempts"]] == [1, 2, 3]
        assert all(a["duration_ms"] >= 0 for a in body["attempts"])
        assert body["completed_at"] is not None

    async def test_gives_up_after_max_attempts(self, harness: Harness) -> None:
        async with local_receiver(statuses=[500] * 10) as server, httpx.AsyncClient() as real:
            harness.webhook_client = real
            await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            await harness.consume(transferred())
            await run_until_settled(harness)
        assert len(server.requests) == harness.settings.WEBHOOKS.MAX_ATTEMPTS == 3
        listed = await harness.client.get(
            "/v1/deliveries", params={"status": "failed"}, headers=harness.auth(JOBCENTER)
        )
        [failed] = listed.json()["items"]
        assert failed["last_status_code"] == 500
        assert failed["last_error"] == "http_500"

    async def test_slow_receiver_times_out(self, harness: Harness) -> None:
        sender_timeout = 0.3
        async with local_receiver(delay=1.0) as server, httpx.AsyncClient() as real_client:
            sender = HttpxWebhookSender(
                real_client,
                policy=UrlPolicy(allow_http=True, allow_private=True),
                timeout_seconds=sender_timeout,
                user_agent="test",
            )
            result = await sender.send(
                WebhookRequest(server.url, "msg-1", b"{}", "whsec_" + "A" * 44)
            )
        assert result.status_code is None
        assert result.error == "timeout"
        assert result.duration_ms < 1000


class TestClaims:
    async def test_two_workers_never_send_the_same_delivery(self, harness: Harness) -> None:
        for _ in range(3):
            await harness.subscribe(JOBCENTER, ["case.transferred"])
        for _ in range(4):
            await harness.consume(transferred())
        first, second = harness.worker(), harness.worker()
        await asyncio.gather(first.run_once(), second.run_once())
        sent = [r.headers["webhook-id"] for r in harness.receiver.requests]
        assert len(sent) == 12
        assert len(set(sent)) == 12

    async def test_a_claimed_delivery_is_not_due_for_others(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        worker = harness.worker()
        claimed = await worker._claim_due()
        assert len(claimed) == 1
        assert await harness.worker()._claim_due() == []


class TestSenderDetails:
    async def test_redirects_are_not_followed(self, harness: Harness) -> None:
        harness.receiver.statuses[:] = [302]
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        await harness.worker().run_once()
        assert len(harness.receiver.requests) == 1
        async with harness.uow() as uow:
            [delivery] = (await uow.session.scalars(select(Delivery))).all()
        assert delivery.last_error == "redirect_not_followed"
        assert delivery.status == "pending"

    async def test_deleted_subscription_fails_its_pending_deliveries(
        self, harness: Harness
    ) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        await harness.client.delete(
            f"/v1/subscriptions/{sub['id']}", headers=harness.auth(JOBCENTER)
        )
        listed = await harness.client.get("/v1/deliveries", headers=harness.auth(JOBCENTER))
        [delivery] = listed.json()["items"]
        assert delivery["status"] == "failed"
        assert delivery["last_error"] == "subscription_deleted"
        assert await harness.worker().run_once() == 0
        assert harness.receiver.requests == []

    async def test_delivery_claimed_when_its_subscription_is_deleted_is_not_sent(
        self, harness: Harness
    ) -> None:
        sub = await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        worker = harness.worker()
        [claimed] = await worker._claim_due()
        await harness.client.delete(
            f"/v1/subscriptions/{sub['id']}", headers=harness.auth(JOBCENTER)
        )
        await worker._attempt(claimed, deadline=asyncio.get_running_loop().time() + 5)
        assert harness.receiver.requests == []
        listed = await harness.client.get("/v1/deliveries", headers=harness.auth(JOBCENTER))
        [delivery] = listed.json()["items"]
        assert (delivery["status"], delivery["last_error"]) == ("failed", "subscription_deleted")

    @pytest.mark.parametrize("address", ["10.0.0.7", "127.0.0.1"])
    async def test_production_policy_blocks_private_resolution(self, address: str) -> None:
        async def resolver(host: str, port: int) -> list[str]:
            return [address]

        calls: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            calls.append(request)
            return httpx.Response(200)

        client = httpx.AsyncClient(transport=httpx.MockTransport(record))
        sender = HttpxWebhookSender(
            client,
            policy=UrlPolicy(allow_http=False, allow_private=False),
            timeout_seconds=1,
            user_agent="test",
            resolver=resolver,
        )
        result = await sender.send(
            WebhookRequest("https://hooks.example.de/x", "m", b"{}", "whsec_" + "A" * 44)
        )
        await client.aclose()
        assert result.error == "blocked_address"
        assert calls == []

    async def test_the_request_goes_to_the_checked_address_without_resolving_again(
        self,
    ) -> None:
        """A name only the sender's resolver knows reaches the receiver: no second lookup.

        The first address refuses the connection (nothing listens on 127.0.0.2), so the
        second checked address is used; the receiver sees the original name as `Host`.
        """
        seen: list[str] = []

        async def resolver(host: str, port: int) -> list[str]:
            seen.append(host)
            return ["127.0.0.2", "127.0.0.1"]

        async with local_receiver() as receiver, httpx.AsyncClient() as client:
            sender = HttpxWebhookSender(
                client,
                policy=UrlPolicy(allow_http=True, allow_private=True),
                timeout_seconds=2,
                user_agent="test",
                resolver=resolver,
            )
            url = f"http://hooks.receiver.invalid:{receiver.port}/webhooks"
            result = await sender.send(WebhookRequest(url, "m1", b"{}", "whsec_" + "A" * 44))
        assert (result.status_code, result.error) == (200, None)
        assert seen == ["hooks.receiver.invalid"]
        [request] = receiver.requests
        assert request.headers["host"] == f"hooks.receiver.invalid:{receiver.port}"
        assert request.path == "/webhooks"

    async def test_other_org_cannot_see_or_redeliver(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        await harness.consume(transferred())
        listed = await harness.client.get("/v1/deliveries", headers=harness.auth(JOBCENTER))
        delivery_id = listed.json()["items"][0]["id"]
        assert (
            await harness.client.get(f"/v1/deliveries/{delivery_id}", headers=harness.auth(AGENCY))
        ).status_code == 404
        assert (
            await harness.client.post(
                f"/v1/deliveries/{delivery_id}/redeliver", headers=harness.auth(AGENCY)
            )
        ).status_code == 404
        assert (await harness.client.get("/v1/deliveries", headers=harness.auth(AGENCY))).json()[
            "items"
        ] == []
        assert (
            await harness.client.get(
                f"/v1/deliveries/{uuid.uuid4()}", headers=harness.auth(JOBCENTER)
            )
        ).status_code == 404


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


class TestWakeUp:
    async def test_stored_and_requeued_deliveries_wake_the_worker_between_slow_polls(
        self, migrated_url: str, issuer: DevIssuer
    ) -> None:
        webhooks = FAST_WEBHOOKS.model_copy(
            update={"WORKER_ENABLED": True, "WORKER_INTERVAL_SECONDS": 3600.0}
        )
        settings = notifications_settings(migrated_url, issuer, webhooks=webhooks)
        receiver = Receiver()
        async with httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle)) as hooks:
            app = create_app(settings, publisher=InMemoryPublisher(), http_client=hooks)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://test"
                ) as client,
            ):
                h = Harness(app, settings, issuer, client, receiver, hooks)
                await h.subscribe(JOBCENTER, ["case.transferred"])
                await asyncio.sleep(0.2)  # the worker's first poll found nothing

                # Stored by another process (an engine of its own, no shared event): the
                # NOTIFY of its commit wakes the worker long before the hourly poll.
                other = create_engine(DatabaseSettings(URL=migrated_url))
                try:
                    async with NotificationsUnitOfWork(create_session_factory(other)) as uow:
                        assert await enqueue_deliveries(uow, transferred()) == 1
                        await uow.commit()
                    await until(lambda: len(receiver.requests) == 1)
                finally:
                    await other.dispose()

                # Stored through the runtime: the in-process event wakes it as well.
                async with h.state.make_uow() as uow:
                    assert await enqueue_deliveries(uow, transferred()) == 1
                    await uow.commit()
                await until(lambda: len(receiver.requests) == 2)

                # A redelivery requeues it: sent again without waiting for the poll.
                first_id = receiver.requests[0].headers["webhook-id"]
                response = await client.post(
                    f"/v1/deliveries/{first_id}/redeliver", headers=h.auth(JOBCENTER)
                )
                assert response.status_code == 202
                await until(lambda: len(receiver.requests) == 3)
                assert receiver.requests[2].headers["webhook-id"] == first_id

    async def test_a_retry_is_sent_when_it_is_due_not_at_the_next_poll(
        self, migrated_url: str, issuer: DevIssuer
    ) -> None:
        webhooks = FAST_WEBHOOKS.model_copy(
            update={
                "WORKER_ENABLED": True,
                "WORKER_INTERVAL_SECONDS": 3600.0,
                "BACKOFF_SCHEDULE_SECONDS": (1.0,),
            }
        )
        settings = notifications_settings(migrated_url, issuer, webhooks=webhooks)
        receiver = Receiver(statuses=[500])
        async with httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle)) as hooks:
            app = create_app(settings, publisher=InMemoryPublisher(), http_client=hooks)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://test"
                ) as client,
            ):
                h = Harness(app, settings, issuer, client, receiver, hooks)
                await h.subscribe(JOBCENTER, ["case.transferred"])
                async with h.state.make_uow() as uow:
                    assert await enqueue_deliveries(uow, transferred()) == 1
                    await uow.commit()
                await until(lambda: len(receiver.requests) == 1)
                first = asyncio.get_running_loop().time()
                # Nothing wakes the worker: it sleeps until the retry is due (1 s).
                await until(lambda: len(receiver.requests) == 2, timeout=10.0)
                waited = asyncio.get_running_loop().time() - first
                assert waited >= 0.9, "not before the retry was due"
                ids = {r.headers["webhook-id"] for r in receiver.requests}
                assert len(ids) == 1
