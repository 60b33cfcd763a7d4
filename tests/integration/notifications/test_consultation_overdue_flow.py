"""consultation.overdue end to end on the real broker: the locked job stages it once, the
relay publishes it, the consumer routes it and both hosts' receivers get the webhook."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from notifications_api.adapters.tables import Delivery
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.app import consultation_overdue_check, create_app
from notifications_api.settings import WebhookSettings
from notifications_api.state import NotificationsState
from services.issuer import DevIssuer
from shared.db.tables import OUTBOX
from shared.messaging.kafka import KafkaPublisher
from shared.settings import RelaySettings
from tests.conftest import BrokerHandle
from tests.integration.notifications.conftest import (
    AGENCY,
    JOBCENTER,
    notifications_settings,
    upcoming,
)
from tests.integration.notifications.receiver import local_receiver
from tests.integration.notifications.test_series_and_consultations import SERIES

pytestmark = pytest.mark.kafka

# The session of 2030-03-12 was due for its consultation by 2030-04-09 (German calendar).
OVERDUE_AT = datetime(2030, 4, 10, 8, 0, tzinfo=UTC)


async def until(predicate: Any, timeout: float = 60.0) -> None:
    """Poll an async predicate until it holds; fail after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.1)


async def test_overdue_event_is_produced_once_and_reaches_both_hosts(
    broker: BrokerHandle, issuer: DevIssuer, migrated_url: str
) -> None:
    settings = notifications_settings(
        migrated_url,
        issuer,
        kafka=broker.kafka_settings(),
        consumers=True,
        webhooks=WebhookSettings(
            TIMEOUT_SECONDS=2.0,
            CLAIM_SECONDS=30.0,
            BACKOFF_SCHEDULE_SECONDS=(0.1,),
            WORKER_INTERVAL_SECONDS=0.1,
        ),
    ).model_copy(update={"RELAY": RelaySettings(POLL_INTERVAL_SECONDS=0.5)})
    case_id = uuid.uuid4()

    def auth(org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.token(org)}"}

    async with local_receiver() as server:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            state: NotificationsState = app.state.service
            runtime = state.runtime
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                for org in (AGENCY, JOBCENTER):
                    created = await client.post(
                        "/v1/subscriptions",
                        json={"url": server.url, "event_types": ["consultation.overdue"]},
                        headers=auth(org),
                    )
                    assert created.status_code == 201, created.text
                series = await client.post(
                    "/v1/info-session-series", json=SERIES, headers=auth(AGENCY)
                )
                assert series.status_code == 201, series.text

                # The forecast arrives over the broker like eligibility_api's.
                event = upcoming(
                    case_id, invitation_date=date(2030, 3, 1), alg1_end_date=date(2030, 6, 1)
                )
                producer = KafkaPublisher(broker.kafka_settings(), client_id="test-producer")
                try:
                    await producer.publish(
                        event.topic,
                        event.subject.encode(),
                        event.model_dump_json().encode(),
                        [("content-type", b"application/cloudevents+json")],
                    )
                finally:
                    await producer.stop()

                invitations: list[dict[str, Any]] = []

                async def invited() -> bool:
                    listed = await client.get(
                        "/v1/invitations",
                        params={"case_id": str(case_id)},
                        headers=auth(JOBCENTER),
                    )
                    invitations[:] = listed.json()["items"]
                    return bool(invitations)

                await until(invited)
                attended = await client.put(
                    f"/v1/invitations/{invitations[0]['id']}/attendance",
                    json={"attendance": "attended"},
                    headers={**auth(JOBCENTER), "If-Match": '"1"'},
                )
                assert attended.status_code == 200, attended.text

                # Only one replica runs the check: the app's own job holds the lock.
                app_job = runtime.jobs["consultation-overdue"]

                async def app_job_holds_lock() -> bool:
                    return app_job.lock is not None and app_job.lock.held

                await until(app_job_holds_lock)
                probe = consultation_overdue_check(runtime, clock=lambda: OVERDUE_AT)
                assert await probe.run_once() is None
                app_job.stop()
                (task,) = [t for t in runtime.tasks if t.get_name() == "job:consultation-overdue"]
                await asyncio.wait_for(task, timeout=10)
                try:
                    assert await probe.run_once() == 1
                    assert await probe.run_once() == 0
                finally:
                    assert probe.lock is not None
                    await probe.lock.release()

                await server.wait_answered(2, timeout=60)

            async with NotificationsUnitOfWork(runtime.sessions) as uow:
                staged = (
                    await uow.session.execute(
                        select(OUTBOX.c.event_id).where(OUTBOX.c.topic == "consultation.overdue")
                    )
                ).all()
                deliveries = (
                    await uow.session.scalars(
                        select(Delivery).where(Delivery.topic == "consultation.overdue")
                    )
                ).all()

    assert len(staged) == 1
    assert sorted(d.org for d in deliveries) == sorted([AGENCY, JOBCENTER])
    assert len(server.requests) == 2
    ids = {r.headers["webhook-id"] for r in server.requests}
    assert ids == {str(d.id) for d in deliveries}
    bodies = [json.loads(r.body) for r in server.requests]
    assert {b["id"] for b in bodies} == {str(staged[0].event_id)}
    data = bodies[0]["data"]
    assert bodies[0]["type"] == "de.handover.consultation.overdue.v1"
    assert data["case_id"] == str(case_id)
    assert data["invitation_id"] == invitations[0]["id"]
    assert data["consultation_due_date"] == "2030-04-09"
    assert (data["agentur_org"], data["jobcenter_org"]) == (AGENCY, JOBCENTER)
