"""App assembly shared by the services: typed state, dependencies, middleware, problem handlers,
health and metrics."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import structlog
from fastapi import APIRouter, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import Principal, TokenVerifier, principal_dependency
from shared.db.uow import UnitOfWork
from shared.docs import install_docs
from shared.events.asyncapi import service_asyncapi
from shared.logging import get_logger
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.metrics_collectors import SCRAPED
from shared.problems import ProblemSpec, install_problem_handlers, problem_response
from shared.ratelimit import RateLimitMiddleware, TokenBuckets, bearer_client_key
from shared.runtime import Runtime
from shared.settings import ServiceSettings
from shared.tracing import (
    DISABLED,
    TRACEPARENT,
    Tracing,
    context_from_traceparent,
    correlation,
)

if TYPE_CHECKING:
    from shared.idempotency import Answer

log = get_logger(__name__)

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
UowT = TypeVar("UowT", bound=UnitOfWork)


@dataclass(frozen=True)
class ServiceState(Generic[SettingsT, UowT]):
    """What every service's state holds; a service subclasses it with its own named fields.

    Built in the lifespan and kept on `app.state.service`, so dependencies read typed fields
    instead of looking things up by name.
    """

    runtime: Runtime
    settings: SettingsT
    make_uow: Callable[[], UowT]


# Covariant, so a dependency set of a subclass state still yields its settings and UoW types.
StateT_co = TypeVar("StateT_co", bound=ServiceState[Any, Any], covariant=True)


def install_state(app: FastAPI, state: ServiceState[Any, Any]) -> None:
    """Make `state` what this app's dependencies, health checks and auth read."""
    app.state.service = state
    app.state.runtime = state.runtime


class ServiceDependencies(Generic[StateT_co]):
    """The dependencies every service shares, reading its state of type `StateT_co`."""

    def __init__(self, state_type: type[StateT_co], scopes: dict[str, str]) -> None:
        self.state_type = state_type
        self.principal: Callable[..., Coroutine[Any, Any, Principal]] = principal_dependency(scopes)

    async def state(self, request: Request) -> StateT_co:
        """The state the app's lifespan built."""
        state: StateT_co = request.app.state.service
        return state

    async def runtime(self, request: Request) -> Runtime:
        """Engine, publisher, relay and consumers of this process."""
        return (await self.state(request)).runtime

    async def settings(
        self: ServiceDependencies[ServiceState[SettingsT, UowT]], request: Request
    ) -> SettingsT:
        """The settings the app was built with."""
        return (await self.state(request)).settings

    async def uow(
        self: ServiceDependencies[ServiceState[SettingsT, UowT]], request: Request
    ) -> UowT:
        """A fresh unit of work (not yet entered)."""
        return (await self.state(request)).make_uow()


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x20-\x7e]+$",
        description="Repeat a creating request safely: same key and body return the first result",
    ),
]


def json_response(answer: Answer) -> Response:
    """An Idempotency-Key answer as HTTP: the same bytes for the first answer and every replay."""
    headers = dict(answer.headers)
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        answer.body_json,
        status_code=answer.status_code,
        media_type="application/json",
        headers=headers,
    )


def operation_id(route: APIRoute) -> str:
    """Stable operation ids: the route function's name."""
    return route.name


class BodyLimitMiddleware:
    """Refuse request bodies beyond their limit before the app reads them whole."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        is_upload = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.upload_limit + 64 * 1024 if is_upload else self.json_limit
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem_response(
                413, "payload-too-large", "Payload too large", f"limit is {limit} bytes"
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge as exc:
            response = problem_response(
                413, "payload-too-large", "Payload too large", f"limit is {exc.limit} bytes"
            )
            await response(scope, receive, send)


class _BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


# What a caller's `X-Request-ID` may be; anything else is replaced by a fresh id, so a log line
# never carries 4 KB, control characters or text about a person smuggled in as an id.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_from(headers: Headers) -> str:
    """The caller's `X-Request-ID` when it is a valid id, otherwise a fresh one."""
    offered = headers.get("x-request-id")
    if offered is not None and _REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class SecurityHeadersMiddleware:
    """`X-Content-Type-Options: nosniff` on every response, HSTS when configured (prod).

    Outermost, so problems written by other middleware, docs assets and metrics carry them.
    """

    def __init__(self, app: ASGIApp, hsts: str | None) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-content-type-options"] = "nosniff"
                if self.hsts is not None:
                    headers["strict-transport-security"] = self.hsts
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestContextMiddleware:
    """Request id (echoed as `x-request-id`), Prometheus metrics and one log line per request.

    Pure ASGI rather than `BaseHTTPMiddleware`: the app runs in the caller's task and the
    response streams through unbuffered, with no extra task or memory stream per request.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope))
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            route = scope.get("route")
            path = route.path if isinstance(route, APIRoute) else "unmatched"
            method = scope["method"]
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, path).observe(elapsed)
            log.info(
                "http.request",
                method=method,
                route=path,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")


class TracingMiddleware:
    """An HTTP server span per request, child of the caller's `traceparent` if it sent one.

    Inside the request-context middleware: the request id it bound becomes the correlation
    id of every event the request stages. The span is named by method and route template
    and carries the status code; never the path or query, which may hold personal data.
    """

    def __init__(self, app: ASGIApp, tracing: Callable[[], Tracing]) -> None:
        self.app = app
        # Read per request: the service's tracing is built in the lifespan, after the app.
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        parent = context_from_traceparent(Headers(scope=scope).get(TRACEPARENT))
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        status: int | None = None

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with (
            correlation(request_id if isinstance(request_id, str) else None),
            self.tracing().span(
                method,
                kind=SpanKind.SERVER,
                parent=parent,
                attributes={"http.request.method": method, "url.scheme": scope["scheme"]},
            ) as span,
        ):
            try:
                await self.app(scope, receive, send_with_status)
            finally:
                route = scope.get("route")
                if isinstance(route, APIRoute):
                    span.update_name(f"{method} {route.path}")
                    span.set_attribute("http.route", route.path)
                if status is not None:
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))


def runtime_tracing(app: FastAPI) -> Tracing:
    """The tracing of the runtime the app's lifespan started (disabled before it)."""
    runtime: Runtime | None = getattr(app.state, "runtime", None)
    return runtime.tracing if runtime is not None else DISABLED


def runtime_verifier(app: FastAPI) -> TokenVerifier | None:
    """The token verifier of the runtime the app's lifespan started (None before it)."""
    runtime: Runtime | None = getattr(app.state, "runtime", None)
    return runtime.verifier if runtime is not None else None


def health_router() -> APIRouter:
    """Liveness, readiness (database and broker) and Prometheus metrics."""
    router = APIRouter(tags=["operations"])

    @router.get("/health/live", summary="Liveness probe")
    async def health_live() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        summary="Readiness probe",
        responses={
            503: {"description": "Database or broker unreachable, or a consumer blocked on them"}
        },
    )
    async def health_ready(request: Request) -> JSONResponse:
        """Ready when the database and the broker answer and no consumer is blocked."""
        runtime: Runtime = request.app.state.runtime
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(3):
                async with runtime.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        checks["broker"] = "ok" if await runtime.publisher.ping() else "unreachable"
        checks.update(runtime.consumer_checks())
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        """Metrics in the Prometheus text format."""
        # Database gauges are read here, each bounded by its timeout and cache, so the
        # synchronous collect below only formats what was read.
        await SCRAPED.refresh()
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def asyncapi_router(service: str) -> APIRouter:
    """`GET /asyncapi.json`: the AsyncAPI 3.0 document of what the service sends and receives."""
    document = service_asyncapi(service)
    router = APIRouter()

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> JSONResponse:
        """The service's events on Kafka: channels, messages, schemas (self-contained)."""
        return JSONResponse(document)

    return router


class ServiceApp(FastAPI):
    """A FastAPI app whose every response, the 500 problem included, carries security headers.

    Starlette answers an unhandled exception in `ServerErrorMiddleware`, outside all user
    middleware; the headers middleware therefore wraps the whole stack.
    """

    security_headers_hsts: str | None = None

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(
            super().build_middleware_stack(), self.security_headers_hsts
        )


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    routers: Sequence[APIRouter],
    problems: Mapping[type[Exception], ProblemSpec] | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    """Assemble a service app: routers, problem handlers, middleware, health and metrics."""
    app = ServiceApp(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        openapi_tags=openapi_tags,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    if settings.docs_ui_enabled:
        install_docs(app)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router())
    app.include_router(asyncapi_router(settings.SERVICE_NAME))
    install_problem_handlers(app, problems)
    app.add_middleware(TracingMiddleware, tracing=lambda: runtime_tracing(app))
    if settings.rate_limit_enabled:
        # Inside the request context: a 429 is logged, counted and carries the request id.
        limits = settings.RATE_LIMIT
        app.add_middleware(
            RateLimitMiddleware,
            buckets=TokenBuckets(limits.RATE_PER_SECOND, limits.BURST, limits.MAX_CLIENTS),
            client_key=bearer_client_key(lambda: runtime_verifier(app)),
        )
    app.add_middleware(RequestContextMiddleware, service=settings.SERVICE_NAME)
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.MAX_REQUEST_BYTES,
        upload_limit=settings.MAX_UPLOAD_BYTES,
    )
    app.security_headers_hsts = settings.hsts_header
    return app
