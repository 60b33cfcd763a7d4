"""One trace per handover across the three services, on the real broker and PostgreSQL.

handover_api, eligibility_api and notifications_api run in this process, each with its own
tracer provider and in-memory exporter (`TRACING__EXPORTER=memory`), their own relays,
consumers and webhook worker. A handover started over HTTP with the caller's
`traceparent` goes through the outbox, Kafka, eligibility_api's consumer, back to
handover_api, to the transfer and the webhook call to a loopback receiver; every span on
that path, in all three services, belongs to the caller's trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from eligibility_api.app import create_app as create_eligibility_app
from handover_api.app import create_app as create_handover_app
from handover_api.settings import HandoverSettings
from notifications_api.app import create_app as create_notifications_app
from notifications_api.settings import WebhookSettings
from services.broker import EmbeddedBroker, free_port
from services.issuer import DevIssuer
from shared.db import migrations
from shared.events.registry import all_topics
from shared.messaging.kafka import ensure_topics
from shared.settings import (
    AuthSettings,
    ConsumerSettings,
    DatabaseSettings,
    RelaySettings,
    TracingSettings,
)
from tests.conftest import TEST_BROKER, BrokerHandle, DatabaseFactory
from tests.examples import ALG1_ENDS_CASE, with_fresh_kundennummer
from tests.integration.eligibility.conftest import make_settings as eligibility_settings
from tests.integration.notifications.conftest import notifications_settings
from tests.integration.notifications.receiver import local_receiver

pytestmark = pytest.mark.kafka

AGENCY = "agentur-hagen"
JOBCENTER = "jobcenter-ennepe-ruhr"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
REQUEST_ID = "req-handover-trace-1"
DOCUMENTS = [
    "IDENTITY_MASTER_DATA",
    "ALG1_APPROVAL",
    "POTENZIALANALYSE",
    "INTEGRATION_AGREEMENT",
    "FOERDERPLAN",
    "APPLICANT_PROFILE",
    "CV_CERTIFICATES",
    "JOB_OFFERS_OWN_EFFORTS",
    "APPOINTMENT_HISTORY",
    "INFO_SESSION_ATTENDANCE",
]
MEMORY = TracingSettings(EXPORTER="memory")
# Records other tests left on the shared broker fail fast instead of holding a consumer.
CONSUMER = ConsumerSettings(MAX_ATTEMPTS=1, BACKOFF_INITIAL_SECONDS=0.01)
RELAY = RelaySettings(POLL_INTERVAL_SECONDS=0.5)


async def migrated(postgres_database: DatabaseFactory, service: str, label: str) -> str:
    url = postgres_database(label)
    await asyncio.to_thread(migrations.upgrade, service, url)
    return url


def spans_of(app: FastAPI) -> tuple[ReadableSpan, ...]:
    """The finished spans of the service `app` belongs to (its own exporter)."""
    memory = app.state.runtime.tracing.memory
    assert memory is not None, "tracing with the memory exporter"
    spans: tuple[ReadableSpan, ...] = memory.get_finished_spans()
    return spans


def trace_of(span: ReadableSpan) -> str:
    assert span.context is not None
    return format_trace_id(span.context.trace_id)


def attribute(span: ReadableSpan, name: str) -> Any:
    return (span.attributes or {}).get(name)


def named(spans: Sequence[ReadableSpan], name: str, kind: SpanKind) -> ReadableSpan:
    found = [s for s in spans if s.name == name and s.kind is kind]
    assert found, f"no {kind.name} span {name!r} among {[s.name for s in spans]}"
    return found[0]


@pytest.fixture
def own_broker(broker: BrokerHandle, tmp_path: Path) -> Iterator[BrokerHandle]:
    """An embedded broker of this test alone (the session's one elsewhere).

    The session's broker holds every record earlier tests published: the three consumer
    groups, starting from the beginning, would first work through all of them.
    """
    if broker.embedded is None or TEST_BROKER not in {"", "embedded", "tansu"}:
        yield broker
        return
    embedded = EmbeddedBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    embedded.start()
    try:
        handle = BrokerHandle(embedded.bootstrap_servers, embedded=embedded)
        asyncio.run(ensure_topics(handle.kafka_settings(), all_topics()))
        yield handle
    finally:
        embedded.stop()


async def test_a_handover_is_one_trace_across_the_three_services(
    own_broker: BrokerHandle,
    issuer: DevIssuer,
    postgres_database: DatabaseFactory,
    tmp_path: Path,
) -> None:
    kafka = own_broker.kafka_settings()
    auth = AuthSettings(JWKS_URL=str(issuer.jwks_path), ISSUER=issuer.issuer)
    handover_settings = HandoverSettings(
        ENVIRONMENT="test",
        DB=DatabaseSettings(URL=await migrated(postgres_database, "handover_api", "trh")),
        AUTH=auth,
        KAFKA=kafka,
        RELAY=RELAY,
        CONSUMER=CONSUMER,
        TRACING=MEMORY,
        BLOB_DIR=tmp_path / "blobs",
        MANIFEST_KEY_PATH=tmp_path / "manifest.pem",
        LOG_JSON=False,
    )
    elig_settings = eligibility_settings(
        await migrated(postgres_database, "eligibility_api", "tre"),
        issuer=issuer,
        kafka=kafka,
        relay=True,
        consumers=True,
        ENVIRONMENT="test",
        TRACING=MEMORY,
        LOG_JSON=False,
    ).model_copy(update={"CONSUMER": CONSUMER, "RELAY": RELAY})
    notif_settings = notifications_settings(
        await migrated(postgres_database, "notifications_api", "trn"),
        issuer,
        kafka=kafka,
        consumers=True,
        webhooks=WebhookSettings(
            TIMEOUT_SECONDS=2.0,
            CLAIM_SECONDS=30.0,
            BACKOFF_SCHEDULE_SECONDS=(0.1,),
            WORKER_INTERVAL_SECONDS=0.5,
        ),
    ).model_copy(update={"CONSUMER": CONSUMER, "TRACING": MEMORY})

    handover = create_handover_app(handover_settings)
    # A fixed 'today' for the decision: the trigger occurred on 2026-04-02.
    eligibility = create_eligibility_app(elig_settings, clock=lambda: date(2026, 4, 10))
    notifications = create_notifications_app(notif_settings)

    async with local_receiver() as receiver, contextlib.AsyncExitStack() as stack:
        for app in (handover, eligibility, notifications):
            await stack.enter_async_context(app.router.lifespan_context(app))
        agency = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=handover),
                base_url="http://handover",
                headers={"Authorization": f"Bearer {issuer.token(AGENCY)}"},
            )
        )
        jobcenter = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=notifications),
                base_url="http://notifications",
                headers={"Authorization": f"Bearer {issuer.token(JOBCENTER)}"},
            )
        )
        subscribed = await jobcenter.post(
            "/v1/subscriptions", json={"url": receiver.url, "event_types": ["case.transferred"]}
        )
        assert subscribed.status_code == 201, subscribed.text

        created = await agency.post("/v1/cases", json=with_fresh_kundennummer(ALG1_ENDS_CASE))
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        for doc_type in DOCUMENTS:
            uploaded = await agency.post(
                f"/v1/cases/{case_id}/documents",
                files={"file": (f"{doc_type}.pdf", f"%PDF-1.7\n{doc_type}\n".encode())},
                data={"type": doc_type},
            )
            assert uploaded.status_code == 201, uploaded.text

        started = await agency.post(
            f"/v1/cases/{case_id}/handovers",
            json={
                "reason": "ALG1_EXHAUSTED",
                "to_org": JOBCENTER,
                "transfer_date": "2026-05-01",
                "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
            },
            headers={"traceparent": CALLER, "x-request-id": REQUEST_ID},
        )
        assert started.status_code == 201, started.text
        await receiver.wait_answered(1, timeout=60)
        # The consumer span of case.transferred ends with the inbox commit, after the
        # webhook may already be out: wait (bounded) until it is exported.
        async with asyncio.timeout(10):
            while not any(
                s.name == "case.transferred process" and trace_of(s) == CALLER_TRACE
                for s in spans_of(notifications)
            ):
                await asyncio.sleep(0.05)

    [webhook] = receiver.requests
    event = json.loads(webhook.body)
    assert event["type"] == "de.handover.case.transferred.v1"
    assert event["subject"] == case_id
    # The request that started the flow names it on every event, across services.
    assert event["correlationid"] == REQUEST_ID

    spans = {
        "handover_api": spans_of(handover),
        "eligibility_api": spans_of(eligibility),
        "notifications_api": spans_of(notifications),
    }
    for service, service_spans in spans.items():
        assert {s.resource.attributes["service.name"] for s in service_spans} == {service}
    in_trace = {
        service: [s for s in service_spans if trace_of(s) == CALLER_TRACE]
        for service, service_spans in spans.items()
    }

    server = named(in_trace["handover_api"], "POST /v1/cases/{case_id}/handovers", SpanKind.SERVER)
    assert server.parent is not None
    assert format_span_id(server.parent.span_id) == CALLER_SPAN
    assert attribute(server, "http.response.status_code") == 201
    requested = named(in_trace["handover_api"], "handover.requested publish", SpanKind.PRODUCER)
    named(in_trace["eligibility_api"], "handover.requested process", SpanKind.CONSUMER)
    named(in_trace["eligibility_api"], "eligibility.determined publish", SpanKind.PRODUCER)
    named(in_trace["handover_api"], "eligibility.determined process", SpanKind.CONSUMER)
    named(in_trace["handover_api"], "case.transferred publish", SpanKind.PRODUCER)
    named(in_trace["notifications_api"], "case.transferred process", SpanKind.CONSUMER)
    client = named(in_trace["notifications_api"], "POST", SpanKind.CLIENT)
    assert attribute(client, "http.response.status_code") == 200
    assert attribute(requested, "messaging.kafka.message.key") == case_id

    # One tree: every span of the trace hangs off the caller's span or another of its spans.
    everything = [s for service_spans in in_trace.values() for s in service_spans]
    ids = {format_span_id(s.context.span_id) for s in everything if s.context is not None}
    for span in everything:
        assert span.parent is not None, span.name
        assert format_span_id(span.parent.span_id) in ids | {CALLER_SPAN}, span.name

    # Every publish and consume of the events only the handover causes, in any service, is
    # in it. (eligibility.determined also answers case.registered: that is the trace of the
    # POST /v1/cases request.)
    handover_topics = {"handover.requested", "case.transferred"}
    of_case = [
        s
        for service_spans in spans.values()
        for s in service_spans
        if attribute(s, "messaging.kafka.message.key") == case_id
        and attribute(s, "messaging.destination.name") in handover_topics
    ]
    # Published by handover_api; consumed by eligibility_api and notifications_api.
    assert len(of_case) >= 5, [s.name for s in of_case]
    assert {trace_of(s) for s in of_case} == {CALLER_TRACE}

    # The receiver got the traceparent of the webhook client span.
    client_span = format_span_id(client.context.span_id) if client.context else ""
    assert webhook.headers["traceparent"] == f"00-{CALLER_TRACE}-{client_span}-01"
