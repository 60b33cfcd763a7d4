"""An in-process handover_api on a migrated database, with a recording publisher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from handover_api.app import create_app
from handover_api.settings import HandoverSettings
from handover_api.state import HandoverState
from handover_api.use_cases import audit
from services.issuer import DevIssuer
from shared.db import migrations
from shared.messaging.memory import InMemoryPublisher
from shared.messaging.relay import OutboxRelay
from shared.settings import AuthSettings, ConsumerSettings, DatabaseSettings, RelaySettings
from tests.conftest import DatabaseFactory

AGENCY = "agentur-hagen"
JOBCENTER = "jobcenter-ennepe-ruhr"
OTHER = "jobcenter-muenster"


@dataclass
class HandoverHarness:
    """The app, its publisher, its settings and a client per organisation."""

    app: FastAPI
    settings: HandoverSettings
    publisher: InMemoryPublisher
    issuer: DevIssuer
    client: httpx.AsyncClient
    relay: OutboxRelay

    def auth(self, org: str, scopes: list[str] | None = None) -> dict[str, str]:
        """Authorization header for `org`."""
        return {"Authorization": f"Bearer {self.issuer.token(org, scopes)}"}

    async def drain_outbox(self) -> None:
        """Publish everything staged so far (the app's own relay is off in these tests)."""
        await self.relay.drain_once()

    async def seal_audit(self) -> int:
        """Chain the audit records waiting now (the app's sealer waits an hour in these tests)."""
        state: HandoverState = self.app.state.service
        async with state.make_uow() as uow:
            return await audit.seal(uow)


def handover_settings(db_url: str, issuer: DevIssuer, tmp_path: Path) -> HandoverSettings:
    """Settings for a test instance: relay on (driven by hand), consumers off."""
    return HandoverSettings(
        ENVIRONMENT="test",
        DB=DatabaseSettings(URL=db_url),
        AUTH=AuthSettings(JWKS_URL=str(issuer.jwks_path), ISSUER=issuer.issuer),
        RELAY=RelaySettings(ENABLED=False),
        CONSUMER=ConsumerSettings(ENABLED=False),
        BLOB_DIR=tmp_path / "blobs",
        MANIFEST_KEY_PATH=tmp_path / "manifest.pem",
        LOG_JSON=False,
        MAX_UPLOAD_BYTES=64 * 1024,
    )


@contextlib.asynccontextmanager
async def served(settings: HandoverSettings, issuer: DevIssuer) -> AsyncIterator[HandoverHarness]:
    """handover_api with `settings` served in-process; relay and audit sealer driven by hand."""
    publisher = InMemoryPublisher()
    app = create_app(settings, publisher=publisher)
    async with app.router.lifespan_context(app):
        # The audit records are sealed by hand too (`seal_audit`): the app's sealer stops
        # before the test begins, so what waits unchained is up to the test.
        runtime = app.state.runtime
        runtime.jobs["audit-seal"].stop()
        await asyncio.wait([t for t in runtime.tasks if t.get_name() == "job:audit-seal"])
        relay = OutboxRelay(settings.SERVICE_NAME, runtime.sessions, publisher, settings.RELAY)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            try:
                yield HandoverHarness(app, settings, publisher, issuer, client, relay)
            finally:
                await relay.lock.release()


@pytest.fixture
async def harness(
    postgres_database: DatabaseFactory, issuer: DevIssuer, tmp_path: Path
) -> AsyncIterator[HandoverHarness]:
    """A migrated handover_api served in-process."""
    url = postgres_database("handover")
    await asyncio.to_thread(migrations.upgrade, "handover_api", url)
    async with served(handover_settings(url, issuer, tmp_path), issuer) as h:
        yield h
