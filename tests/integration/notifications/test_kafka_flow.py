"""From the real broker to a real receiver: consume, stage, sign and deliver."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from notifications_api.app import create_app
from notifications_api.domain.signing import verify
from notifications_api.settings import WebhookSettings
from services.issuer import DevIssuer
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.memory import InMemoryPublisher
from tests.conftest import BrokerHandle
from tests.integration.notifications.conftest import notifications_settings, transferred
from tests.integration.notifications.receiver import local_receiver

pytestmark = pytest.mark.kafka


async def test_transferred_event_reaches_the_subscribed_receiver(
    broker: BrokerHandle, issuer: DevIssuer, migrated_url: str
) -> None:
    # Unique organisations: the broker is shared with other tests' events.
    to_org = f"jobcenter-{uuid.uuid4().hex[:8]}"
    event = transferred(from_org=f"agentur-{uuid.uuid4().hex[:8]}", to_org=to_org)

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
    )
    async with local_receiver(statuses=[502]) as server:
        app = create_app(settings, publisher=InMemoryPublisher())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                created = await client.post(
                    "/v1/subscriptions",
                    json={"url": server.url, "event_types": ["case.transferred"]},
                    headers={"Authorization": f"Bearer {issuer.token(to_org)}"},
                )
                assert created.status_code == 201
                secret = created.json()["secret"]
                # Published only now, so the subscription exists when the event arrives.
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
                async with asyncio.timeout(60):
                    while len(server.requests) < 2:
                        await asyncio.sleep(0.1)

    first, second = server.requests[:2]
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert json.loads(second.body)["id"] == str(event.id)
    assert verify(
        secret,
        second.headers["webhook-id"],
        int(second.headers["webhook-timestamp"]),
        second.body,
        second.headers["webhook-signature"],
    )
