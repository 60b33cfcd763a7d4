"""The stack of a fault scenario: its own PostgreSQL, the three apps, a receiver, the faults."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from services.broker import free_port
from services.issuer import DevIssuer
from services.postgres import FAST_SETTINGS, EmbeddedPostgres
from services.stack import SERVICES, AppProcess, Stack, StackConfig
from tests.conftest import BrokerHandle
from tests.faults.ledgers import Comparison, Figures, ServiceBooks, compare, read_books
from tests.faults.load import AGENCY, JOBCENTER, LoadDriver
from tests.faults.receiver import FaultReceiver

DRAIN_LIMIT = 30.0
# Delivery retries fit the 30 s drain: after a receiver outage the next attempt is at most
# 8 s away, and enough attempts remain to outlast a 60 s outage.
WEBHOOK_ENV = {
    "NOTIFICATIONS_WEBHOOKS__BACKOFF_SCHEDULE_SECONDS": "[1, 2, 4, 8]",
    "NOTIFICATIONS_WEBHOOKS__MAX_ATTEMPTS": "30",
}
DATABASES = {spec.name: spec.db_name for spec in SERVICES}

Report = Callable[[str], None]


class KafkaCluster(Protocol):
    """The part of `services.kafka_cluster.ApacheKafkaCluster` the faults use."""

    @property
    def node_ids(self) -> list[int]: ...

    def kill_node(self, node_id: int) -> None: ...

    def start_node(self, node_id: int, timeout: float = 60.0) -> None: ...


def kafka_cluster(broker: BrokerHandle) -> KafkaCluster | None:
    """The Apache Kafka cluster behind the `broker` fixture, if it is one."""
    cluster: KafkaCluster | None = getattr(broker, "cluster", None)
    return cluster


def on_apache_kafka() -> bool:
    """Whether the run was asked for the Apache Kafka cluster (`make test-faults`)."""
    return os.environ.get("TEST_BROKER", "").lower() == "apache"


@dataclass
class FaultEnv:
    """One scenario's world; faults record when they happened for the final comparison."""

    name: str
    seed: int
    postgres: EmbeddedPostgres
    stack: Stack
    issuer: DevIssuer
    broker: BrokerHandle
    receiver: FaultReceiver
    report: Report
    results_file: Path
    subscription_id: str = ""
    fault_ended_at: float | None = None
    # Intervals in which the database was down: a 5xx inside one is allowed.
    database_down: list[tuple[float, float]] = field(default_factory=list)
    restarts: dict[str, int] = field(default_factory=dict)

    # -- clients ---------------------------------------------------------------------------

    def url(self, service: str) -> str:
        """Base URL of `service`."""
        return self.stack.urls[service]

    def headers(self, org: str) -> dict[str, str]:
        """Authorization for `org` with every integration scope."""
        return {"Authorization": f"Bearer {self.issuer.token(org)}"}

    def client(self, service: str, org: str) -> httpx.Client:
        """A client for `service` acting as `org`."""
        return httpx.Client(
            base_url=self.url(service), headers=self.headers(org), timeout=10.0, trust_env=False
        )

    def driver(self) -> LoadDriver:
        """A load driver for this scenario, seeded by its seed."""
        return LoadDriver(
            base_url=self.url("handover_api"),
            headers=self.headers(AGENCY),
            seed=self.seed,
            tag=f"{self.name}-{self.seed}",
        )

    def subscribe(self) -> None:
        """The jobcenter subscribes the receiver to `case.transferred`."""
        with self.client("notifications_api", JOBCENTER) as client:
            response = client.post(
                "/v1/subscriptions",
                json={"url": self.receiver.url, "event_types": ["case.transferred"]},
                headers={"Idempotency-Key": f"{self.name}-subscription"},
            )
        assert response.status_code == 201, response.text
        self.subscription_id = str(response.json()["id"])
        self.receiver.secret = str(response.json()["secret"])

    # -- faults ----------------------------------------------------------------------------

    def end_fault(self) -> None:
        """Mark the moment the fault is over (the drain is measured from here)."""
        self.fault_ended_at = time.monotonic()

    def app(self, service: str) -> AppProcess:
        """The running process of `service`."""
        return next(app for app in self.stack.apps if app.name == service)

    def kill_service(self, service: str) -> None:
        """SIGKILL the app, as a crash would."""
        app = self.app(service)
        assert app.process is not None
        app.process.send_signal(signal.SIGKILL)
        app.process.wait(timeout=10)
        app.close_log()

    def restart_service(self, service: str, ready_timeout: float = 60.0) -> float:
        """Start the app again (log in a new file); returns seconds until it was ready."""
        old = self.app(service)
        number = self.restarts.get(service, 0) + 1
        self.restarts[service] = number
        fresh = AppProcess(
            spec=old.spec,
            url=old.url,
            env=old.env,
            log_path=old.log_path.with_name(f"{service}.restart-{number}.log"),
            cwd=old.cwd,
        )
        self.stack.apps[self.stack.apps.index(old)] = fresh
        started = time.monotonic()
        fresh.start()
        self.stack.wait_ready(ready_timeout)
        return time.monotonic() - started

    def stop_database(self, seconds: float) -> None:
        """`pg_ctl stop -m immediate`, `seconds` of outage, then start and wait until ready."""
        down_from = time.monotonic()
        self.postgres.stop("immediate")
        time.sleep(seconds)  # the outage itself
        self.postgres.start()
        self.database_down.append((down_from, time.monotonic()))

    # -- the end of a scenario -------------------------------------------------------------

    def books(self) -> ServiceBooks:
        """The services' tables now."""
        return read_books(self.postgres, DATABASES)

    def drain(
        self, driver: LoadDriver, done: Callable[[Comparison], bool] | None = None
    ) -> tuple[Comparison, float]:
        """Poll the ledgers until they agree, at most DRAIN_LIMIT s after the fault (or load).

        Returns the last comparison and the seconds from the later of fault end and last
        accepted request until the ledgers agreed (or until the limit ran out).
        """
        with driver.stats.lock:
            last_accepted = driver.stats.last_accepted_at
        since = max(self.fault_ended_at or 0.0, last_accepted, 0.0) or time.monotonic()
        deadline = since + DRAIN_LIMIT
        finished = done or Comparison.converged
        while True:
            comparison = compare(driver.stats, self.books(), self.receiver)
            now = time.monotonic()
            if finished(comparison) or now >= deadline:
                return comparison, now - since
            self.receiver.wait_for_change(min(0.5, deadline - now))

    def finish(
        self,
        driver: LoadDriver,
        *,
        expected_accepted: int,
        done: Callable[[Comparison], bool] | None = None,
        allow_server_errors_while_database_down: bool = False,
    ) -> Figures:
        """Drain, print the figures line, then assert the scenario's promises."""
        comparison, drain_seconds = self.drain(driver, done)
        stats = driver.stats
        windows = self.database_down if allow_server_errors_while_database_down else []
        forbidden_5xx = stats.server_errors_outside(windows)
        figures = Figures(
            name=self.name,
            accepted=len(comparison.accepted),
            lost=len(comparison.lost),
            duplicates=comparison.duplicate_total,
            retries=stats.retries,
            server_errors=len(stats.server_errors),
            drain_seconds=drain_seconds,
        )
        self.publish(figures, self.detail(comparison, driver))
        context = self.detail(comparison, driver)
        assert not driver.failures, (driver.failures, context)
        assert not stats.unexpected, (stats.unexpected[:5], context)
        assert self.receiver.bad_signatures == 0, context
        assert figures.accepted == expected_accepted, context
        assert figures.lost == 0, context
        assert figures.duplicates == 0, context
        assert not forbidden_5xx, (forbidden_5xx[:5], context)
        assert drain_seconds <= DRAIN_LIMIT, context
        return figures

    def publish(self, figures: Figures, detail: Mapping[str, Any]) -> None:
        """Print the figures line and keep it with its detail in the results file."""
        self.report(figures.line())
        with self.results_file.open("a") as out:
            out.write(f"{figures.line()}\n  detail: {dict(detail)}\n")

    def detail(self, comparison: Comparison, driver: LoadDriver) -> dict[str, Any]:
        """What a failed assertion should show."""
        return {
            "lost": comparison.lost[:5],
            "not_transferred": comparison.not_transferred[:5],
            "not_delivered": comparison.not_delivered[:5],
            "duplicates": comparison.duplicates,
            "quiet": comparison.quiet,
            "foreign_webhooks": comparison.foreign_webhooks,
            "statuses": dict(sorted(driver.stats.status_counts.items())),
            "transport_errors": driver.stats.transport_errors,
            "receiver": {
                "calls": self.receiver.calls,
                "answered": self.receiver.answered,
                "redelivered": self.receiver.redelivered,
            },
            "logs": str(self.stack.config.log_dir),
        }


@contextlib.contextmanager
def fault_env(
    *,
    name: str,
    seed: int,
    broker: BrokerHandle,
    issuer: DevIssuer,
    work_dir: Path,
    receiver: FaultReceiver,
    report: Report,
    extra_env: dict[str, str] | None = None,
) -> Iterator[FaultEnv]:
    """Start PostgreSQL and the three apps, subscribe the receiver; tear all down afterwards."""
    postgres = EmbeddedPostgres(work_dir / "pg", port=free_port(), settings=FAST_SETTINGS)
    kafka = broker.kafka_settings()
    env = dict(WEBHOOK_ENV)
    for spec in SERVICES:
        env[f"{spec.env_prefix}KAFKA__REPLICATION_FACTOR"] = str(kafka.REPLICATION_FACTOR)
    env.update(extra_env or {})
    try:
        postgres.start()
        postgres.create_databases(DATABASES.values())
        config = StackConfig(
            bootstrap_servers=broker.bootstrap_servers,
            issuer=issuer,
            database_urls={s.name: postgres.async_url(s.db_name) for s in SERVICES},
            ports={s.name: free_port() for s in SERVICES},
            data_dir=work_dir / "var",
            log_dir=work_dir / "var" / "log",
            apache_kafka=kafka.ENABLE_IDEMPOTENCE,
            extra_env=env,
            work_dir=work_dir,
        )
        stack = Stack(config)
        stack.up(ready_timeout=120.0)
        try:
            scenario = FaultEnv(
                name=name,
                seed=seed,
                postgres=postgres,
                stack=stack,
                issuer=issuer,
                broker=broker,
                receiver=receiver,
                report=report,
                results_file=work_dir / "fault-figures.txt",
            )
            scenario.subscribe()
            yield scenario
        finally:
            stack.stop()
    finally:
        postgres.destroy()


def require_cluster(broker: BrokerHandle) -> KafkaCluster:
    """The Apache Kafka cluster; skipped without one, a failure under TEST_BROKER=apache."""
    cluster = kafka_cluster(broker)
    if cluster is None:
        reason = "needs the 3-broker Apache Kafka cluster (TEST_BROKER=apache)"
        if on_apache_kafka():
            pytest.fail(f"TEST_BROKER=apache but the broker fixture has no cluster: {reason}")
        pytest.skip(reason)
    return cluster
