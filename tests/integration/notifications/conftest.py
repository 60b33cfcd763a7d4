"""An in-process notifications_api on a migrated database, plus event and receiver helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from fastapi import FastAPI

from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.app import create_app, make_sender, make_worker
from notifications_api.consumers import GROUP_ID, HANDLERS
from notifications_api.settings import NotificationsSettings, WebhookSettings
from notifications_api.state import NotificationsState
from notifications_api.use_cases.deliveries import DeliveryWorker
from services.issuer import DevIssuer
from shared.db import migrations
from shared.events.base import EventData
from shared.events.envelope import Envelope, make_event
from shared.events.handover import CaseTransferredV1
from shared.events.transition import TransitionUpcomingV1
from shared.messaging.consumer import ConsumerRunner
from shared.messaging.memory import InMemoryPublisher
from shared.runtime import Runtime
from shared.settings import (
    AuthSettings,
    ConsumerSettings,
    DatabaseSettings,
    KafkaSettings,
    RelaySettings,
)
from tests.conftest import DatabaseFactory

AGENCY = "agentur-hagen"
JOBCENTER = "jobcenter-ennepe-ruhr"
OTHER = "jobcenter-muenster"

FAST_WEBHOOKS = WebhookSettings(
    TIMEOUT_SECONDS=2.0,
    CLAIM_SECONDS=30.0,
    MAX_ATTEMPTS=3,
    BACKOFF_SCHEDULE_SECONDS=(0.0,),
    WORKER_ENABLED=False,
)


def notifications_settings(
    db_url: str,
    issuer: DevIssuer,
    *,
    webhooks: WebhookSettings = FAST_WEBHOOKS,
    kafka: KafkaSettings | None = None,
    consumers: bool = False,
) -> NotificationsSettings:
    """Settings for a test instance: relay and consumers off unless asked for."""
    return NotificationsSettings(
        ENVIRONMENT="test",
        DB=DatabaseSettings(URL=db_url),
        AUTH=AuthSettings(JWKS_URL=str(issuer.jwks_path), ISSUER=issuer.issuer),
        RELAY=RelaySettings(ENABLED=False),
        CONSUMER=ConsumerSettings(ENABLED=consumers, MAX_ATTEMPTS=2, BACKOFF_INITIAL_SECONDS=0.05),
        KAFKA=kafka or KafkaSettings(),
        WEBHOOKS=webhooks,
        LOG_JSON=False,
    )


@dataclass
class Receiver:
    """A MockTransport webhook receiver that records requests and answers from a script."""

    statuses: list[int] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status)


@dataclass
class Harness:
    """The app, a client, the receiver behind the webhook client, and event helpers."""

    app: FastAPI
    settings: NotificationsSettings
    issuer: DevIssuer
    client: httpx.AsyncClient
    receiver: Receiver
    webhook_client: httpx.AsyncClient

    @property
    def state(self) -> NotificationsState:
        state: NotificationsState = self.app.state.service
        return state

    @property
    def runtime(self) -> Runtime:
        return self.state.runtime

    def auth(self, org: str, scopes: list[str] | None = None) -> dict[str, str]:
        """Authorization header for `org` (all scopes unless given)."""
        return {"Authorization": f"Bearer {self.issuer.token(org, scopes)}"}

    def uow(self) -> NotificationsUnitOfWork:
        return NotificationsUnitOfWork(self.runtime.sessions)

    def worker(self) -> DeliveryWorker:
        """A delivery worker over the receiver's client (run it by hand)."""
        return make_worker(
            self.settings, self.runtime, make_sender(self.settings, self.webhook_client)
        )

    async def consume(self, event: Envelope[Any]) -> str:
        """Feed an event through the real inbox consumer path; returns its outcome."""
        runner = ConsumerRunner(
            service=self.settings.SERVICE_NAME,
            group_id=GROUP_ID,
            handlers=HANDLERS,
            uow_factory=self.uow,
            publisher=InMemoryPublisher(),
            kafka=self.settings.KAFKA,
            settings=ConsumerSettings(MAX_ATTEMPTS=1),
        )
        return await runner.handle_record(record_of(event))

    async def subscribe(
        self, org: str, topics: list[str], url: str = "http://127.0.0.1:9/h"
    ) -> dict[str, Any]:
        """Create a subscription and return its JSON (with the secret)."""
        response = await self.client.post(
            "/v1/subscriptions",
            json={"url": url, "event_types": topics},
            headers=self.auth(org),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def record_of(event: Envelope[Any], offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    """The Kafka record a structured-mode CloudEvent travels in."""
    value = event.model_dump_json().encode()
    return ConsumerRecord(
        topic=event.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=event.subject.encode(),
        value=value,
        checksum=None,
        serialized_key_size=len(event.subject),
        serialized_value_size=len(value),
        headers=[("content-type", b"application/cloudevents+json")],
    )


def event_of(data: EventData, subject: uuid.UUID) -> Envelope[Any]:
    """A CloudEvent from a producing service."""
    envelope: Envelope[Any] = make_event(data, source="/handover_api", subject=str(subject))
    return envelope


def transferred(
    case_id: uuid.UUID | None = None, from_org: str = AGENCY, to_org: str = JOBCENTER
) -> Envelope[Any]:
    """A `case.transferred` event."""
    case = case_id or uuid.uuid4()
    return event_of(
        CaseTransferredV1(
            case_id=case,
            handover_id=uuid.uuid4(),
            from_org=from_org,
            to_org=to_org,
            reason="ALG1_EXHAUSTED",
            legal_domain_from="SGB_III",
            legal_domain_to="SGB_II",
            transferred_at=datetime.now(UTC),
            integration_plan=None,
            documents=(),
            manifest_signature="test-signature",
        ),
        case,
    )


def upcoming(
    case_id: uuid.UUID | None = None,
    *,
    municipality: str | None = "Witten",
    invitation_date: date,
    alg1_end_date: date,
    owner_org: str = AGENCY,
) -> Envelope[Any]:
    """A `transition.upcoming` event."""
    case = case_id or uuid.uuid4()
    return event_of(
        TransitionUpcomingV1(
            case_id=case,
            owner_org=owner_org,
            municipality=municipality,
            alg1_end_date=alg1_end_date,
            invitation_date=invitation_date,
            scheduled_at=datetime.now(UTC),
        ),
        case,
    )


@pytest.fixture
async def migrated_url(postgres_database: DatabaseFactory) -> str:
    """A migrated notifications_api database (PostgreSQL where reachable)."""
    url = postgres_database("notifications")
    await asyncio.to_thread(migrations.upgrade, "notifications_api", url)
    return url


@pytest.fixture
async def harness(migrated_url: str, issuer: DevIssuer) -> AsyncIterator[Harness]:
    """notifications_api served in-process; webhooks go to a MockTransport receiver."""
    settings = notifications_settings(migrated_url, issuer)
    receiver = Receiver()
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle)) as hooks:
        app = create_app(settings, publisher=InMemoryPublisher(), http_client=hooks)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield Harness(app, settings, issuer, client, receiver, hooks)
