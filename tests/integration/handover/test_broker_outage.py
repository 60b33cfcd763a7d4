"""Broker down while handovers are posted: the API answers 201, nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from handover_api.api.schemas import CASE_EXAMPLE
from handover_api.app import create_app
from services.issuer import DevIssuer
from shared.db import migrations
from shared.db.tables import OUTBOX
from shared.events.registry import decode
from shared.settings import RelaySettings
from tests.conftest import BrokerHandle, DatabaseFactory
from tests.integration.handover.conftest import AGENCY, JOBCENTER, handover_settings
from tests.integration.kafka_reading import wait_for_keys


@pytest.fixture
async def live_app(
    postgres_database: DatabaseFactory, issuer: DevIssuer, broker: BrokerHandle, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    """handover_api with its real relay publishing to the real broker."""
    url = postgres_database("outage")
    await asyncio.to_thread(migrations.upgrade, "handover_api", url)
    settings = handover_settings(url, issuer, tmp_path).model_copy(
        update={
            "KAFKA": broker.kafka_settings(),
            "RELAY": RelaySettings(POLL_INTERVAL_SECONDS=0.5),
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, app


async def unsent(app: object) -> int:
    runtime = app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.sent_at.is_(None))
        )
    return int(count or 0)


async def test_handovers_posted_during_an_outage_are_published_afterwards(
    live_app: tuple[httpx.AsyncClient, object], broker: BrokerHandle, issuer: DevIssuer
) -> None:
    client, app = live_app
    auth = {"Authorization": f"Bearer {issuer.token(AGENCY)}"}
    warmup = await client.post("/v1/cases", json=CASE_EXAMPLE, headers=auth)
    assert warmup.status_code == 201
    for _ in range(100):
        if await unsent(app) == 0:
            break
        await asyncio.sleep(0.1)
    assert await unsent(app) == 0, "the relay is connected before the outage"

    broker.pause()
    try:
        case_ids: list[str] = []
        for _ in range(4):
            created = await client.post("/v1/cases", json=CASE_EXAMPLE, headers=auth)
            assert created.status_code == 201
            case_id = created.json()["id"]
            started = await client.post(
                f"/v1/cases/{case_id}/handovers",
                json={"reason": "ALG1_EXHAUSTED", "to_org": JOBCENTER},
                headers=auth,
            )
            assert started.status_code == 201, started.text
            case_ids.append(case_id)
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["broker"] == "unreachable"
        assert await unsent(app) == 8, "staged, not lost, not yet sent"
    finally:
        broker.resume()

    keys = set(case_ids)
    registered = await wait_for_keys(broker, "case.registered", keys)
    requested = await wait_for_keys(broker, "handover.requested", keys)
    assert {decode(r.value or b"").subject for r in registered} == keys
    assert {decode(r.value or b"").subject for r in requested} == keys
    for _ in range(100):
        if await unsent(app) == 0:
            break
        await asyncio.sleep(0.1)
    assert await unsent(app) == 0
