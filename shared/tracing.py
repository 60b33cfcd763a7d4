"""OpenTelemetry tracing: a TracerProvider per service and W3C trace context propagation.

One handover is one trace: the HTTP request that starts it, the outbox row staged in its
transaction (`outbox.traceparent`), the relay's publish (Kafka header `traceparent`), each
consumer (a child of that header) and whatever it stages in turn, and the webhook call
(`traceparent` sent to the receiver).

Off by default (`TRACING__EXPORTER=none`): the no-op tracer records nothing, but a context
received (a `traceparent` header, a stored row) is still passed on unchanged, so a trace
continues through a service that does not export spans.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping, Sequence

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from shared.settings import TracingSettings

TRACEPARENT = "traceparent"
INSTRUMENTATION_NAME = "handover-broker"

_PROPAGATOR = TraceContextTextMapPropagator()
_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


def context_from_traceparent(traceparent: str | None) -> Context | None:
    """The remote parent a W3C `traceparent` names; None if it is missing or malformed."""
    if not traceparent:
        return None
    context = _PROPAGATOR.extract({TRACEPARENT: traceparent})
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context


def current_traceparent(context: Context | None = None) -> str | None:
    """The W3C `traceparent` of the current span (or of `context`); None outside a trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return carrier.get(TRACEPARENT)


def traceparent_of_span(span: Span) -> str | None:
    """The `traceparent` that makes a receiver's work a child of `span`."""
    return current_traceparent(trace.set_span_in_context(span))


def traceparent_from_headers(headers: Sequence[tuple[str, bytes]] | None) -> str | None:
    """The `traceparent` among Kafka record headers, if one is there and readable."""
    for key, value in headers or ():
        if key.lower() == TRACEPARENT:
            try:
                return value.decode("ascii")
            except UnicodeDecodeError:
                return None
    return None


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits; None outside a trace."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return trace.format_trace_id(span_context.trace_id)


def current_correlation_id() -> str | None:
    """What events of the work in progress carry as `correlationid`.

    The id bound where the flow started (the request id of the HTTP request, or the
    `correlationid` of the event a consumer applies); else the trace id, if any.
    """
    return _correlation_id.get() or current_trace_id()


@contextlib.contextmanager
def correlation(correlation_id: str | None) -> Iterator[None]:
    """Bind the correlation id events staged inside the block carry."""
    token = _correlation_id.set(correlation_id)
    try:
        yield
    finally:
        _correlation_id.reset(token)


class Tracing:
    """The tracer of one service: its own TracerProvider, resource and exporter.

    Not the global provider: the three services can then run in one process (tests) and
    still report as three services.
    """

    def __init__(
        self,
        service: str,
        settings: TracingSettings | None = None,
        *,
        environment: str = "dev",
        version: str = "1.0.0",
        exporter: SpanExporter | None = None,
    ) -> None:
        settings = settings or TracingSettings()
        self.service = service
        self.memory: InMemorySpanExporter | None = None
        self._provider: TracerProvider | None = None
        chosen = exporter
        synchronous = exporter is not None
        if chosen is None and settings.EXPORTER == "memory":
            chosen = self.memory = InMemorySpanExporter()
            synchronous = True
        elif chosen is None and settings.EXPORTER == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            chosen = OTLPSpanExporter(
                endpoint=settings.OTLP_ENDPOINT, timeout=settings.OTLP_TIMEOUT_SECONDS
            )
        if chosen is None:
            self.tracer: Tracer = trace.NoOpTracer()
            return
        # Resource attributes come from the settings only, not from OTEL_* variables.
        resource = Resource(
            {
                "service.name": service,
                "service.namespace": "handover-broker",
                "service.version": version,
                "deployment.environment.name": environment,
            }
        )
        provider = TracerProvider(
            resource=resource,
            sampler=ParentBased(TraceIdRatioBased(settings.SAMPLE_RATIO)),
            # The runtime shuts it down; no atexit hook per provider built.
            shutdown_on_exit=False,
        )
        provider.add_span_processor(
            SimpleSpanProcessor(chosen) if synchronous else BatchSpanProcessor(chosen)
        )
        self._provider = provider
        self.tracer = provider.get_tracer(INSTRUMENTATION_NAME)

    @property
    def enabled(self) -> bool:
        """Whether spans are recorded and exported."""
        return self._provider is not None

    @contextlib.contextmanager
    def span(
        self,
        name: str,
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        parent: Context | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> Iterator[Span]:
        """A span that is current inside the block, child of `parent` (else of the current).

        With tracing off it records nothing; the parent stays current, so what is staged
        or sent inside still carries the caller's trace context.
        """
        # Exceptions are recorded by type only: their messages may quote input.
        with self.tracer.start_as_current_span(
            name, context=parent, kind=kind, attributes=attributes, record_exception=False
        ) as span:
            try:
                yield span
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__name__)
                raise

    def shutdown(self) -> None:
        """Export what is pending and stop the exporter."""
        if self._provider is not None:
            self._provider.shutdown()


DISABLED = Tracing("disabled")
_current: contextvars.ContextVar[Tracing] = contextvars.ContextVar("tracing", default=DISABLED)


def current_tracing() -> Tracing:
    """The tracing of the service whose runtime started this task (disabled elsewhere)."""
    return _current.get()


def context_for(tracing: Tracing) -> contextvars.Context:
    """A copy of the current context in which `current_tracing()` is `tracing`.

    The runtime starts each background task (relay, consumers, jobs) in a fresh one, so
    code they call that has no reference to the service's state still traces as that
    service. One per task: tasks sharing a context would see each other's current span.
    """
    context = contextvars.copy_context()
    context.run(_current.set, tracing)
    return context


@contextlib.contextmanager
def continue_trace(traceparent: str | None) -> Iterator[None]:
    """Make the context `traceparent` names current inside the block (as is without one)."""
    context = context_from_traceparent(traceparent)
    if context is None:
        yield
        return
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)
