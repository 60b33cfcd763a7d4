"""The cluster under test, and the figures the tests measured (printed after the run)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.kafka_cluster import ApacheKafkaCluster
from tests.conftest import BrokerHandle

MEASURED: list[str] = []

Measure = Callable[[str], None]


@pytest.fixture
def cluster(broker: BrokerHandle) -> ApacheKafkaCluster:
    """The local 3-broker cluster: skipped on other brokers, a failure under TEST_BROKER=apache."""
    return broker.require_cluster()


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Measure:
    """Note a figure (failover time, retries, ...) for the summary at the end of the run."""

    def note(line: str) -> None:
        MEASURED.append(f"{request.node.name}: {line}")
        request.node.user_properties.append(("measured", line))

    return note


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the cluster tests measured."""
    if MEASURED:
        terminalreporter.section("Apache Kafka cluster measurements")
        for line in MEASURED:
            terminalreporter.write_line(line)
