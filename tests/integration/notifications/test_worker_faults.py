"""The delivery worker under faults: its own PostgreSQL stopped, a receiver failing, a crash.

Each test runs a throw-away PostgreSQL server of its own, so it can be stopped like a crash
(`-m immediate`) without touching the suite's shared server.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from notifications_api.app import create_app, make_sender, make_worker
from notifications_api.domain.deliveries import RetryPolicy
from notifications_api.settings import WebhookSettings
from notifications_api.use_cases.deliveries import DeliveryWorker
from services.broker import free_port
from services.issuer import DevIssuer
from services.postgres import FAST_SETTINGS, EmbeddedPostgres
from shared.db import migrations
from shared.db.base import utcnow
from shared.messaging.memory import InMemoryPublisher
from tests.integration.notifications.conftest import (
    FAST_WEBHOOKS,
    JOBCENTER,
    Harness,
    notifications_settings,
    transferred,
)
from tests.integration.notifications.receiver import ReceivedRequest, local_receiver


@pytest.fixture
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server for this test alone."""
    server = EmbeddedPostgres(
        tmp_path_factory.mktemp("notifications-pg") / "cluster",
        port=free_port(),
        settings=FAST_SETTINGS,
    )
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
async def migrated_url(own_postgres: EmbeddedPostgres) -> str:
    """The harness's database lives on the test's own server (overrides the shared one)."""
    own_postgres.create_databases(["notifications"])
    url = own_postgres.async_url("notifications")
    await asyncio.to_thread(migrations.upgrade, "notifications_api", url)
    return url


@pytest.fixture
async def real_client(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    """Webhooks of the harness go over real loopback HTTP."""
    async with httpx.AsyncClient() as client:
        harness.webhook_client = client
        yield client


def worker_with(harness: Harness, webhooks: WebhookSettings) -> DeliveryWorker:
    settings = harness.settings.model_copy(update={"WEBHOOKS": webhooks})
    return make_worker(settings, harness.runtime, make_sender(settings, harness.webhook_client))


async def delivery_rows(harness: Harness, **params: str) -> list[dict[str, Any]]:
    response = await harness.client.get(
        "/v1/deliveries", params={"limit": 100, **params}, headers=harness.auth(JOBCENTER)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def detail(harness: Harness, delivery_id: str) -> dict[str, Any]:
    response = await harness.client.get(
        f"/v1/deliveries/{delivery_id}", headers=harness.auth(JOBCENTER)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def until_settled(harness: Harness, expected: int, timeout: float = 20.0) -> None:
    """Wait until `expected` deliveries are no longer pending (their commit is not an event)."""
    async with asyncio.timeout(timeout):
        while True:
            rows = await delivery_rows(harness)
            if len(rows) == expected and all(r["status"] != "pending" for r in rows):
                return
            await asyncio.sleep(0.05)


class TestDatabaseOutage:
    async def test_an_accepted_webhook_is_recorded_after_the_outage_and_not_sent_again(
        self, harness: Harness, real_client: httpx.AsyncClient, own_postgres: EmbeddedPostgres
    ) -> None:
        async def crash_database(request: ReceivedRequest) -> None:
            # The receiver has the webhook; the worker's commit of its answer now fails.
            await asyncio.to_thread(own_postgres.stop, "immediate")

        async with local_receiver() as server:
            server.before_answer = crash_database
            await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            await harness.consume(transferred())
            worker = worker_with(
                harness, FAST_WEBHOOKS.model_copy(update={"DB_BACKOFF_MAX_SECONDS": 0.3})
            )
            attempt = asyncio.create_task(worker.run_once())
            await server.wait_answered(1)
            assert not attempt.done()
            # The outage lasts a second: the worker retries its commit meanwhile.
            await asyncio.sleep(1.0)
            assert not attempt.done()
            await asyncio.to_thread(own_postgres.start)
            assert await asyncio.wait_for(attempt, timeout=15) == 1

        assert len(server.requests) == 1
        [delivery] = await delivery_rows(harness)
        assert (delivery["status"], delivery["attempt_count"]) == ("succeeded", 1)
        assert [a["status_code"] for a in (await detail(harness, delivery["id"]))["attempts"]] == [
            200
        ]

    async def test_no_delivery_fails_while_the_database_is_down(
        self, harness: Harness, real_client: httpx.AsyncClient, own_postgres: EmbeddedPostgres
    ) -> None:
        async with local_receiver() as server:
            await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            for _ in range(3):
                await harness.consume(transferred())
            await asyncio.to_thread(own_postgres.stop, "immediate")
            # One attempt allowed: a database error counted as an attempt would fail it.
            worker = worker_with(
                harness,
                FAST_WEBHOOKS.model_copy(
                    update={
                        "MAX_ATTEMPTS": 1,
                        "WORKER_INTERVAL_SECONDS": 0.05,
                        "DB_BACKOFF_MAX_SECONDS": 0.3,
                    }
                ),
            )
            loop = asyncio.create_task(worker.run())
            try:
                await asyncio.sleep(1.0)  # the outage: the loop keeps failing to claim
                assert not loop.done()
                assert server.requests == []
                await asyncio.to_thread(own_postgres.start)
                await server.wait_answered(3, timeout=15)
                await until_settled(harness, 3)
            finally:
                loop.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await loop
        rows = await delivery_rows(harness)
        assert [(r["status"], r["attempt_count"]) for r in rows] == [("succeeded", 1)] * 3
        assert len({r.headers["webhook-id"] for r in server.requests}) == len(server.requests)


class TestReceiverFailures:
    async def test_500s_for_a_while_then_2xx_delivers_every_event_once(
        self, harness: Harness, real_client: httpx.AsyncClient
    ) -> None:
        failures = 8
        async with local_receiver(statuses=[500] * failures) as server:
            await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            events = [transferred() for _ in range(5)]
            for event in events:
                await harness.consume(event)
            short = WebhookSettings(
                TIMEOUT_SECONDS=2.0,
                CLAIM_SECONDS=30.0,
                MAX_ATTEMPTS=6,
                BACKOFF_SCHEDULE_SECONDS=(0.05, 0.1, 0.2),
                WORKER_INTERVAL_SECONDS=0.02,
            )
            loop = asyncio.create_task(worker_with(harness, short).run())
            try:
                await server.wait_answered(len(events) + failures, timeout=20)
                await until_settled(harness, len(events))
            finally:
                loop.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await loop

        accepted = Counter(r.headers["webhook-id"] for r in server.answered if r.status == 200)
        rows = await delivery_rows(harness)
        assert set(accepted) == {r["id"] for r in rows}
        assert set(accepted.values()) == {1}
        assert {str(e.id) for e in events} == {r["event_id"] for r in rows}
        assert all(r["status"] == "succeeded" for r in rows)
        assert sum(r["attempt_count"] for r in rows) == len(events) + failures
        for row in rows:
            attempts = (await detail(harness, row["id"]))["attempts"]
            times = [datetime.fromisoformat(a["attempted_at"]) for a in attempts]
            for n, (before, after) in enumerate(itertools.pairwise(times)):
                backoff = short.BACKOFF_SCHEDULE_SECONDS[min(n, 2)]
                assert after - before >= timedelta(seconds=backoff)


class TestCrashBetweenSendAndCommit:
    async def test_the_webhook_is_sent_again_with_the_same_webhook_id(
        self, harness: Harness, real_client: httpx.AsyncClient
    ) -> None:
        crashing: asyncio.Task[int] | None = None

        async def crash_worker(request: ReceivedRequest) -> None:
            # The worker dies while the receiver accepts: nothing of the answer is recorded.
            assert crashing is not None
            if len(server.requests) == 1:
                crashing.cancel()

        async with local_receiver() as server:
            server.before_answer = crash_worker
            await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            await harness.consume(transferred())
            crashing = asyncio.create_task(harness.worker().run_once())
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(crashing, timeout=10)
            [claimed] = await delivery_rows(harness)
            assert (claimed["status"], claimed["attempt_count"]) == ("pending", 0)

            # Another replica, once the dead worker's lease has run out.
            lease = timedelta(seconds=harness.settings.WEBHOOKS.CLAIM_SECONDS + 1)
            survivor = DeliveryWorker(
                uow_factory=harness.uow,
                sender=make_sender(harness.settings, real_client),
                policy=RetryPolicy(3, (0.0,)),
                claim_seconds=30.0,
                batch_size=10,
                interval_seconds=1.0,
                clock=lambda: utcnow() + lease,
            )
            assert await harness.worker().run_once() == 0
            assert await survivor.run_once() == 1

        assert [r.headers["webhook-id"] for r in server.requests] == [claimed["id"]] * 2
        [delivery] = await delivery_rows(harness)
        assert (delivery["status"], delivery["attempt_count"]) == ("succeeded", 1)


class TestClaims:
    async def test_a_row_another_transaction_locked_is_skipped_not_waited_for(
        self, harness: Harness, own_postgres: EmbeddedPostgres
    ) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        for _ in range(2):
            await harness.consume(transferred())
        with psycopg.connect(own_postgres.url("notifications")) as conn:
            [(locked,)] = conn.execute(
                "SELECT id FROM deliveries ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE"
            ).fetchall()
            async with asyncio.timeout(5):
                first = await harness.worker()._claim_due()
            assert len(first) == 1
            assert first[0] != locked
            conn.rollback()
        assert await harness.worker()._claim_due() == [locked]
        assert isinstance(locked, uuid.UUID)


class TestShutdown:
    async def test_a_webhook_in_flight_at_shutdown_is_recorded_not_sent_again(
        self, harness: Harness, migrated_url: str, issuer: DevIssuer
    ) -> None:
        answered = asyncio.Event()
        shutting_down = asyncio.Event()

        async def slow_answer(request: ReceivedRequest) -> None:
            # The receiver answers only after the service has begun to shut down.
            answered.set()
            await shutting_down.wait()
            await asyncio.sleep(0.2)

        webhooks = FAST_WEBHOOKS.model_copy(
            update={"WORKER_ENABLED": True, "WORKER_INTERVAL_SECONDS": 0.05}
        )
        settings = notifications_settings(migrated_url, issuer, webhooks=webhooks)
        async with local_receiver() as server, httpx.AsyncClient() as hooks:
            server.before_answer = slow_answer
            await harness.subscribe(JOBCENTER, ["case.transferred"], url=server.url)
            app = create_app(settings, publisher=InMemoryPublisher(), http_client=hooks)
            async with app.router.lifespan_context(app):
                await harness.consume(transferred())
                await asyncio.wait_for(answered.wait(), timeout=10)
                shutting_down.set()
            # The lifespan has ended: the worker finished its attempt before it stopped.

        [delivery] = await delivery_rows(harness)
        assert (delivery["status"], delivery["attempt_count"]) == ("succeeded", 1)
        assert len(server.requests) == 1
