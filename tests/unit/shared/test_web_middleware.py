"""The shared middleware: request id, metrics, body limit; pure ASGI, no buffering task."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import structlog
from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY
from pydantic import BaseModel
from starlette.middleware.base import BaseHTTPMiddleware

from shared.settings import ServiceSettings
from shared.web import BodyLimitMiddleware, RequestContextMiddleware, build_app


class Echo(BaseModel):
    """A small JSON body."""

    text: str


@asynccontextmanager
async def no_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


def example_app(service: str) -> FastAPI:
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, object]:
        return {"item_id": item_id, "context": structlog.contextvars.get_contextvars()}

    @router.post("/echo")
    async def echo(body: Echo) -> Echo:
        return body

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    settings = ServiceSettings(SERVICE_NAME=service, MAX_REQUEST_BYTES=100)
    return build_app(
        settings,
        title="example",
        description="example",
        version="1",
        lifespan=no_lifespan,
        routers=[router],
    )


def requests_counted(service: str, method: str, route: str, status: str) -> float:
    labels = {"service": service, "method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


@pytest.fixture
def service() -> str:
    # A name of its own per test, so the process-wide counters start at zero.
    return f"example-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def client(service: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=example_app(service), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestMiddlewareStack:
    def test_every_middleware_is_pure_asgi(self) -> None:
        app = example_app("example")
        classes: list[object] = [m.cls for m in app.user_middleware]
        assert RequestContextMiddleware in classes
        assert BodyLimitMiddleware in classes
        assert BaseHTTPMiddleware not in classes


class TestRequestId:
    async def test_a_given_request_id_is_echoed_and_bound_while_the_route_runs(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/items/7", headers={"X-Request-Id": "abc-123"})
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "abc-123"
        assert response.json()["context"]["request_id"] == "abc-123"

    async def test_a_missing_request_id_is_generated_once_per_request(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await client.get("/items/1")
        second = await client.get("/items/1")
        assert len(first.headers.get_list("x-request-id")) == 1
        assert len(first.headers["x-request-id"]) == 32
        assert first.headers["x-request-id"] != second.headers["x-request-id"]
        assert first.json()["context"]["request_id"] == first.headers["x-request-id"]

    async def test_the_request_id_is_unbound_after_the_request(
        self, client: httpx.AsyncClient
    ) -> None:
        await client.get("/items/1", headers={"X-Request-Id": "gone-after"})
        assert "request_id" not in structlog.contextvars.get_contextvars()

    async def test_problem_answers_carry_the_request_id(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/items/not-a-number", headers={"X-Request-Id": "r-422"})
        assert response.status_code == 422
        assert response.headers["x-request-id"] == "r-422"


class TestMetrics:
    async def test_requests_are_counted_by_route_template_and_status(
        self, client: httpx.AsyncClient, service: str
    ) -> None:
        for item in (1, 2):
            assert (await client.get(f"/items/{item}")).status_code == 200
        assert (await client.get("/nowhere")).status_code == 404
        assert requests_counted(service, "GET", "/items/{item_id}", "200") == 2
        assert requests_counted(service, "GET", "unmatched", "404") == 1
        latency = REGISTRY.get_sample_value(
            "http_request_duration_seconds_count",
            {"service": service, "method": "GET", "route": "/items/{item_id}"},
        )
        assert latency == 2

    async def test_an_unhandled_error_is_counted_as_500(
        self, client: httpx.AsyncClient, service: str
    ) -> None:
        response = await client.get("/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert requests_counted(service, "GET", "/boom", "500") == 1


class TestBodyLimit:
    async def test_a_declared_length_over_the_limit_is_refused_before_reading(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/echo", json={"text": "x" * 200})
        assert response.status_code == 413
        assert response.json()["detail"] == "limit is 100 bytes"

    async def test_a_streamed_body_over_the_limit_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(4):
                yield b'{"text": "' + b"x" * 40

        response = await client.post(
            "/echo", content=chunks(), headers={"content-type": "application/json"}
        )
        # FastAPI turns the interrupted read of a JSON body into its 400; the route never runs.
        assert response.status_code == 400
        assert "text" not in response.text

    async def test_a_body_within_the_limit_passes(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/echo", json={"text": "moin"})
        assert response.status_code == 200
        assert response.json() == {"text": "moin"}
