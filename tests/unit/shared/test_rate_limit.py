"""Per-client rate limiting: a burst past the bucket gets 429 with Retry-After, per client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from services.issuer import DevIssuer
from shared.auth import TokenVerifier
from shared.ratelimit import RateLimitMiddleware, TokenBuckets, bearer_client_key
from shared.settings import AuthSettings, RateLimitSettings, ServiceSettings
from shared.web import build_app

BURST = 100
RATE = 10.0


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    issuer = DevIssuer(tmp_path / "issuer")
    issuer.ensure_keys()
    return issuer


def limited_app(issuer: DevIssuer, clock: FakeClock) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/things")
    async def things() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    verifier = TokenVerifier(AuthSettings(JWKS_URL=str(issuer.jwks_path), ISSUER=issuer.issuer))
    app.add_middleware(
        RateLimitMiddleware,
        buckets=TokenBuckets(RATE, BURST, clock=clock),
        client_key=bearer_client_key(lambda: verifier),
    )
    return app


def client(app: FastAPI, token: str | None = None, address: str = "10.0.0.1") -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)


class TestBurstFromOneClient:
    async def test_300_requests_get_429_after_the_burst_with_retry_after(
        self, issuer: DevIssuer
    ) -> None:
        clock = FakeClock()
        app = limited_app(issuer, clock)
        async with client(app, issuer.token("agentur-hagen")) as http:
            answers = [await http.get("/v1/things") for _ in range(300)]
        statuses = [a.status_code for a in answers]
        assert statuses[:BURST] == [200] * BURST
        assert statuses[BURST:] == [429] * (300 - BURST)
        first_ok, last_ok, refused = answers[0], answers[BURST - 1], answers[BURST]
        assert first_ok.headers["RateLimit-Limit"] == str(BURST)
        assert first_ok.headers["RateLimit-Remaining"] == str(BURST - 1)
        assert last_ok.headers["RateLimit-Remaining"] == "0"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:handover-broker:problem:rate-limited"
        assert refused.json()["status"] == 429
        # One token comes back after 1 / RATE s: the integer Retry-After rounds it up.
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["RateLimit-Remaining"] == "0"
        assert refused.headers["RateLimit-Reset"] == str(int(BURST / RATE))
        assert refused.headers["RateLimit-Policy"] == f"{BURST};w={int(BURST / RATE)}"

    async def test_another_client_of_the_same_address_is_unaffected(
        self, issuer: DevIssuer
    ) -> None:
        clock = FakeClock()
        app = limited_app(issuer, clock)
        async with client(app, issuer.token("agentur-hagen")) as noisy:
            for _ in range(BURST + 5):
                await noisy.get("/v1/things")
            assert (await noisy.get("/v1/things")).status_code == 429
        other_subject = issuer.token("agentur-hagen", subject="client:agentur-hagen-2")
        other_org = issuer.token("jobcenter-ennepe-ruhr")
        for token in (other_subject, other_org):
            async with client(app, token) as quiet:
                answer = await quiet.get("/v1/things")
            assert answer.status_code == 200
            assert answer.headers["RateLimit-Remaining"] == str(BURST - 1)

    async def test_after_the_refill_it_passes_again(self, issuer: DevIssuer) -> None:
        clock = FakeClock()
        app = limited_app(issuer, clock)
        async with client(app, issuer.token("agentur-hagen")) as http:
            for _ in range(BURST):
                assert (await http.get("/v1/things")).status_code == 200
            refused = await http.get("/v1/things")
            assert refused.status_code == 429
            # Retry-After seconds bring RATE tokens a second: that many pass, then 429 again.
            clock.now += int(refused.headers["Retry-After"])
            refilled = [await http.get("/v1/things") for _ in range(int(RATE) + 1)]
            assert [a.status_code for a in refilled] == [200] * int(RATE) + [429]
            clock.now += BURST / RATE
            answers = [await http.get("/v1/things") for _ in range(BURST + 1)]
        assert [a.status_code for a in answers] == [200] * BURST + [429]


class TestClients:
    async def test_without_a_valid_token_the_remote_address_is_the_client(
        self, issuer: DevIssuer
    ) -> None:
        clock = FakeClock()
        app = limited_app(issuer, clock)
        async with client(app, "not-a-token", address="10.0.0.7") as forged:
            statuses = [(await forged.get("/v1/things")).status_code for _ in range(BURST + 1)]
        assert statuses[-1] == 429
        async with client(app, address="10.0.0.7") as anonymous:
            assert (await anonymous.get("/v1/things")).status_code == 429
        async with client(app, address="10.0.0.8") as elsewhere:
            assert (await elsewhere.get("/v1/things")).status_code == 200

    async def test_health_is_exempt(self, issuer: DevIssuer) -> None:
        clock = FakeClock()
        app = limited_app(issuer, clock)
        async with client(app) as http:
            for _ in range(BURST + 1):
                await http.get("/v1/things")
            answers = [await http.get("/health/live") for _ in range(50)]
        assert {a.status_code for a in answers} == {200}
        assert "RateLimit-Limit" not in answers[0].headers


class TestBoundedMemory:
    def test_the_least_recently_seen_client_is_evicted(self) -> None:
        clock = FakeClock()
        buckets = TokenBuckets(1.0, 2, max_clients=3, clock=clock)
        for name in ("a", "b", "c"):
            buckets.take(name)
            buckets.take(name)
        assert not buckets.take("a").allowed
        buckets.take("d")  # evicts b, the least recently seen
        assert len(buckets) == 3
        assert buckets.take("b").allowed
        assert buckets.take("b").allowed
        assert not buckets.take("b").allowed


def app_with(settings: ServiceSettings) -> FastAPI:
    router = APIRouter()

    @router.get("/v1/things")
    async def things() -> dict[str, str]:
        return {"status": "ok"}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield

    return build_app(
        settings,
        title="t",
        description="d",
        version="1",
        lifespan=lifespan,
        routers=[router],
    )


class TestMountedByBuildApp:
    async def test_on_when_enabled_with_the_configured_burst(self) -> None:
        settings = ServiceSettings(
            RATE_LIMIT=RateLimitSettings(ENABLED=True, BURST=3, RATE_PER_SECOND=0.01)
        )
        async with client(app_with(settings)) as http:
            statuses = [(await http.get("/v1/things")).status_code for _ in range(4)]
            metrics = await http.get("/metrics")
        assert statuses == [200, 200, 200, 429]
        assert metrics.status_code == 200

    def test_on_by_default_in_prod_only(self) -> None:
        prod = ServiceSettings(ENVIRONMENT="prod", AUTH=AuthSettings(ISSUER="https://idp.example"))
        assert prod.rate_limit_enabled
        assert not ServiceSettings(ENVIRONMENT="dev").rate_limit_enabled
        assert not ServiceSettings(ENVIRONMENT="test").rate_limit_enabled
        assert ServiceSettings(RATE_LIMIT=RateLimitSettings(ENABLED=True)).rate_limit_enabled

    async def test_off_in_dev(self) -> None:
        settings = ServiceSettings(RATE_LIMIT=RateLimitSettings(BURST=1))
        async with client(app_with(settings)) as http:
            statuses = [(await http.get("/v1/things")).status_code for _ in range(5)]
        assert statuses == [200] * 5
