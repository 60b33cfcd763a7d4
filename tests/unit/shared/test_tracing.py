"""Trace context propagation: traceparent helpers, correlation ids, the HTTP and webhook spans."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from notifications_api.adapters.webhooks import HttpxWebhookSender
from notifications_api.domain.deliveries import WebhookRequest
from notifications_api.domain.urls import UrlPolicy
from shared.events.envelope import make_event
from shared.events.handover import CaseTransferredV1
from shared.settings import ServiceSettings, TracingSettings
from shared.tracing import (
    DISABLED,
    Tracing,
    context_for,
    context_from_traceparent,
    continue_trace,
    correlation,
    current_correlation_id,
    current_trace_id,
    current_traceparent,
    current_tracing,
    traceparent_from_headers,
)
from shared.web import build_app

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
CALLER = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"


def memory_tracing(service: str = "test_api") -> Tracing:
    return Tracing(service, TracingSettings(EXPORTER="memory"))


def transferred_data() -> CaseTransferredV1:
    return CaseTransferredV1(
        case_id=uuid.uuid4(),
        handover_id=uuid.uuid4(),
        from_org="agentur-hagen",
        to_org="jobcenter-ennepe-ruhr",
        reason="ALG1_EXHAUSTED",
        legal_domain_from="SGB_III",
        legal_domain_to="SGB_II",
        transferred_at=datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
        integration_plan=None,
        documents=(),
        manifest_signature="test-signature",
    )


class TestTraceparentHelpers:
    def test_a_valid_traceparent_becomes_the_remote_parent(self) -> None:
        context = context_from_traceparent(CALLER)
        assert context is not None
        assert current_traceparent(context) == CALLER

    @pytest.mark.parametrize(
        "value",
        [
            None,
            "",
            "garbage",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # all-zero trace id
            f"00-{CALLER_TRACE}-0000000000000000-01",  # all-zero span id
        ],
    )
    def test_a_missing_or_invalid_traceparent_gives_no_parent(self, value: str | None) -> None:
        assert context_from_traceparent(value) is None

    def test_outside_a_trace_there_is_no_traceparent(self) -> None:
        assert current_traceparent() is None
        assert current_trace_id() is None

    def test_the_header_is_found_among_kafka_headers(self) -> None:
        headers = [("content-type", b"application/cloudevents+json"), ("Traceparent", b"x")]
        assert traceparent_from_headers(headers) == "x"
        assert traceparent_from_headers([("traceparent", b"\xff")]) is None
        assert traceparent_from_headers(None) is None

    def test_continue_trace_makes_the_stored_context_current(self) -> None:
        with continue_trace(CALLER):
            assert current_traceparent() == CALLER
        assert current_traceparent() is None
        with continue_trace(None):
            assert current_traceparent() is None


class TestSpans:
    def test_a_child_span_continues_the_callers_trace(self) -> None:
        tracing = memory_tracing()
        with tracing.span("work", parent=context_from_traceparent(CALLER)) as span:
            inside = current_traceparent()
        assert tracing.memory is not None
        [finished] = tracing.memory.get_finished_spans()
        assert format_trace_id(finished.context.trace_id) == CALLER_TRACE
        assert finished.parent is not None
        assert format_span_id(finished.parent.span_id) == CALLER_SPAN
        assert inside == f"00-{CALLER_TRACE}-{format_span_id(span.get_span_context().span_id)}-01"
        assert finished.resource.attributes["service.name"] == "test_api"

    def test_disabled_tracing_records_nothing_but_passes_the_context_on(self) -> None:
        assert not DISABLED.enabled
        with DISABLED.span("work", parent=context_from_traceparent(CALLER)):
            assert current_traceparent() == CALLER
        with DISABLED.span("work"):
            assert current_traceparent() is None

    def test_an_exception_is_recorded_by_type_without_its_message(self) -> None:
        tracing = memory_tracing()
        with pytest.raises(ValueError, match="Erika"), tracing.span("work"):
            raise ValueError("Erika Mustermann")
        assert tracing.memory is not None
        [finished] = tracing.memory.get_finished_spans()
        assert finished.attributes is not None
        assert finished.attributes["error.type"] == "ValueError"
        assert not finished.events

    def test_each_service_has_its_own_provider(self) -> None:
        first, second = memory_tracing("handover_api"), memory_tracing("eligibility_api")
        with first.span("a"), second.span("b"):
            pass
        assert first.memory is not None
        assert second.memory is not None
        assert [s.name for s in first.memory.get_finished_spans()] == ["a"]
        assert [s.name for s in second.memory.get_finished_spans()] == ["b"]

    def test_a_task_context_names_its_services_tracing(self) -> None:
        tracing = memory_tracing()
        assert current_tracing() is DISABLED
        assert context_for(tracing).run(current_tracing) is tracing
        assert current_tracing() is DISABLED


class TestCorrelation:
    def test_the_bound_id_wins_over_the_trace_id(self) -> None:
        tracing = memory_tracing()
        with tracing.span("work"):
            trace_id = current_trace_id()
            assert current_correlation_id() == trace_id
            with correlation("req-1"):
                assert current_correlation_id() == "req-1"
        assert current_correlation_id() is None

    def test_events_carry_the_bound_correlation_id_and_trace_context(self) -> None:
        tracing = memory_tracing()
        with tracing.span("work", parent=context_from_traceparent(CALLER)), correlation("req-1"):
            event = make_event(transferred_data(), source="/handover_api", subject="c")
            traceparent = current_traceparent()
        assert event.correlationid == "req-1"
        assert event.traceparent == traceparent
        assert traceparent is not None
        assert traceparent.split("-")[1] == CALLER_TRACE

    def test_an_explicit_correlation_id_is_kept(self) -> None:
        with correlation("req-1"):
            event = make_event(
                transferred_data(), source="/x", subject="c", correlation_id="from-event"
            )
        assert event.correlationid == "from-event"

    def test_outside_any_flow_an_event_has_neither(self) -> None:
        event = make_event(transferred_data(), source="/x", subject="c")
        assert event.correlationid is None
        assert event.traceparent is None


@asynccontextmanager
async def no_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


class TestHttpServerSpan:
    async def test_a_request_is_a_server_span_named_by_its_route_template(self) -> None:
        router = APIRouter()
        seen: dict[str, str | None] = {}

        @router.get("/v1/cases/{case_id}")
        async def read_case(case_id: str) -> dict[str, str]:
            seen["correlation"] = current_correlation_id()
            seen["traceparent"] = current_traceparent()
            return {"id": case_id}

        app = build_app(
            ServiceSettings(SERVICE_NAME="test_api"),
            title="t",
            description="t",
            version="1",
            lifespan=no_lifespan,
            routers=[router],
        )
        tracing = memory_tracing()
        app.state.runtime = SimpleNamespace(tracing=tracing)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get(
                "/v1/cases/Mustermann?name=Erika",
                headers={"traceparent": CALLER, "x-request-id": "req-42"},
            )
            missing = await client.get("/nowhere")
        assert response.status_code == 200
        assert missing.status_code == 404
        assert tracing.memory is not None
        served, unmatched = tracing.memory.get_finished_spans()
        assert served.name == "GET /v1/cases/{case_id}"
        assert served.kind is SpanKind.SERVER
        assert format_trace_id(served.context.trace_id) == CALLER_TRACE
        assert served.parent is not None
        assert format_span_id(served.parent.span_id) == CALLER_SPAN
        assert dict(served.attributes or {}) == {
            "http.request.method": "GET",
            "url.scheme": "http",
            "http.route": "/v1/cases/{case_id}",
            "http.response.status_code": 200,
        }
        # The request id of the request is what its events carry as correlationid.
        assert seen["correlation"] == "req-42"
        span_id = format_span_id(served.context.span_id)
        assert seen["traceparent"] == f"00-{CALLER_TRACE}-{span_id}-01"
        # Without a caller's context a request starts its own trace; no path in the name.
        assert unmatched.name == "GET"
        assert unmatched.parent is None
        assert (unmatched.attributes or {})["http.response.status_code"] == 404


class TestWebhookClientSpan:
    async def test_the_receiver_gets_the_client_spans_traceparent(self) -> None:
        received: list[httpx.Request] = []

        def receive(request: httpx.Request) -> httpx.Response:
            received.append(request)
            return httpx.Response(204)

        tracing = memory_tracing("notifications_api")

        async def resolve(host: str, port: int) -> list[str]:
            return ["127.0.0.1"]

        async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as client:
            sender = HttpxWebhookSender(
                client,
                policy=UrlPolicy(allow_http=True, allow_private=True),
                timeout_seconds=2.0,
                user_agent="test",
                resolver=resolve,
                tracing=tracing,
            )
            with continue_trace(CALLER):
                result = await sender.send(
                    WebhookRequest(
                        "http://receiver.example/hook?token=secret",
                        "msg-1",
                        b"{}",
                        "whsec_" + "A" * 44,
                    )
                )
        assert result.status_code == 204
        assert tracing.memory is not None
        [span] = tracing.memory.get_finished_spans()
        assert span.kind is SpanKind.CLIENT
        assert format_trace_id(span.context.trace_id) == CALLER_TRACE
        span_id = format_span_id(span.context.span_id)
        assert received[0].headers["traceparent"] == f"00-{CALLER_TRACE}-{span_id}-01"
        attributes = dict(span.attributes or {})
        assert attributes["http.response.status_code"] == 204
        assert attributes["server.address"] == "receiver.example"
        assert not any("secret" in str(value) for value in attributes.values())

    async def test_without_a_trace_no_traceparent_is_sent(self) -> None:
        received: list[httpx.Request] = []

        def receive(request: httpx.Request) -> httpx.Response:
            received.append(request)
            return httpx.Response(200)

        async def resolve(host: str, port: int) -> list[str]:
            return ["127.0.0.1"]

        async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as client:
            sender = HttpxWebhookSender(
                client,
                policy=UrlPolicy(allow_http=True, allow_private=True),
                timeout_seconds=2.0,
                user_agent="test",
                resolver=resolve,
            )
            await sender.send(WebhookRequest("http://r.example/h", "m", b"{}", "whsec_" + "A" * 44))
        assert "traceparent" not in received[0].headers
