"""Fault scenarios: 0 lost and 0 duplicate effects end to end while things break.

Each scenario starts its own PostgreSQL and the three apps, subscribes a loopback receiver
for the jobcenter, runs a seeded load through the fault, drains, and compares the client's
2xx answers, the services' tables and the signature-verified webhooks.
"""

from __future__ import annotations

from tests.faults.conftest import FaultEnvFactory

HANDOVERS = 12
LOAD_TIMEOUT = 240.0


def test_baseline(start_faults: FaultEnvFactory) -> None:
    env = start_faults("baseline", seed=1)
    driver = env.driver()
    driver.start(HANDOVERS, spread=10.0)
    driver.join(LOAD_TIMEOUT)
    env.end_fault()
    env.finish(driver, expected_accepted=HANDOVERS)
