"""Fault scenarios: 0 lost and 0 duplicate effects end to end while things break.

Each scenario starts its own PostgreSQL and the three apps, subscribes a loopback receiver
for the jobcenter, runs a seeded load through the fault, drains, and compares the client's
2xx answers, the services' tables and the signature-verified webhooks.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import BrokerHandle
from tests.faults.conftest import FaultEnvFactory
from tests.faults.harness import DATABASES, DRAIN_LIMIT, FaultEnv, require_cluster
from tests.faults.kafka_io import produce_sync, read_topic
from tests.faults.ledgers import Figures
from tests.faults.load import (
    HANDOVER_BODY,
    JOBCENTER,
    GaveUp,
    LoadDriver,
    case_body,
    in_progress,
)

HANDOVERS = 12
LOAD_TIMEOUT = 240.0
MID_LOAD = 3


def run_through(
    env: FaultEnv,
    fault: Any,
    *,
    handovers: int = HANDOVERS,
    spread: float = 20.0,
    workers: int = 3,
    mid_load: int = MID_LOAD,
) -> LoadDriver:
    """Start the load, inject `fault()` once some handovers were accepted, finish the load."""
    driver = env.driver()
    driver.start(handovers, spread=spread, workers=workers)
    driver.wait_accepted(mid_load, timeout=60)
    fault()
    env.end_fault()
    driver.join(LOAD_TIMEOUT)
    return driver


def test_baseline(start_faults: FaultEnvFactory) -> None:
    env = start_faults("baseline", seed=1)
    driver = env.driver()
    driver.start(HANDOVERS, spread=10.0)
    driver.join(LOAD_TIMEOUT)
    env.end_fault()
    env.finish(driver, expected_accepted=HANDOVERS)


def test_broker_paused_30s(start_faults: FaultEnvFactory, broker: BrokerHandle) -> None:
    env = start_faults("broker-paused-30s", seed=2)

    def pause() -> None:
        broker.pause()
        try:
            time.sleep(30)  # the outage itself
        finally:
            broker.resume()

    driver = run_through(env, pause, handovers=16, spread=30.0)
    env.finish(driver, expected_accepted=16)


def test_one_kafka_broker_killed_and_restarted(
    start_faults: FaultEnvFactory, broker: BrokerHandle
) -> None:
    cluster = require_cluster(broker)
    env = start_faults("kafka-broker-killed", seed=3)
    node = random.Random(3).choice(cluster.node_ids)

    def crash() -> None:
        cluster.kill_node(node)
        time.sleep(10)  # the broker stays down while the load runs
        cluster.start_node(node)

    driver = run_through(env, crash, handovers=16, spread=25.0)
    env.finish(driver, expected_accepted=16)


@pytest.mark.parametrize("service", ["handover_api", "eligibility_api", "notifications_api"])
def test_service_killed_and_restarted(start_faults: FaultEnvFactory, service: str) -> None:
    env = start_faults(f"{service}-killed", seed=4)

    def crash() -> None:
        env.kill_service(service)
        env.restart_service(service)

    # Late in the load, so the drain shows how soon the restarted service catches up.
    driver = run_through(env, crash, handovers=14, spread=20.0, mid_load=9)
    env.finish(driver, expected_accepted=14)


def test_database_stopped_immediate_10s(start_faults: FaultEnvFactory) -> None:
    env = start_faults("postgres-stopped-10s", seed=5)
    # A dense load keeps events in flight between the services when the database goes away.
    driver = run_through(
        env, lambda: env.stop_database(10), handovers=24, spread=8.0, workers=6, mid_load=6
    )
    env.finish(driver, expected_accepted=24, allow_server_errors_while_database_down=True)


def test_receiver_answers_500_for_60s(start_faults: FaultEnvFactory) -> None:
    env = start_faults("receiver-500-60s", seed=6)
    env.receiver.set_mode("error")
    failing_since = time.monotonic()

    def recover() -> None:
        time.sleep(max(60 - (time.monotonic() - failing_since), 0))  # the outage itself
        env.receiver.set_mode("ok")

    driver = run_through(env, recover, handovers=HANDOVERS, spread=20.0)
    assert env.receiver.answered.get(500, 0) > 0, "the receiver's outage was never hit"
    env.finish(driver, expected_accepted=HANDOVERS)


def test_receiver_answers_410(start_faults: FaultEnvFactory) -> None:
    """410 disables the subscription; its deliveries end visibly; enabling redelivers them."""
    env = start_faults("receiver-410", seed=7)
    env.receiver.set_mode("error")
    driver = env.driver()
    driver.start(8, spread=5.0)
    driver.join(LOAD_TIMEOUT)
    # Every accepted handover has a delivery retrying against the failing receiver ...
    wait_for(
        lambda: set(driver.stats.accepted) <= set(env.books().deliveries),
        "a delivery for every accepted handover",
    )
    # ... when the receiver starts answering 410 Gone.
    env.receiver.set_mode("gone")
    with env.client("notifications_api", JOBCENTER) as client:
        subscription = wait_for(
            lambda: disabled(client, env.subscription_id),
            "the subscription disabled and every delivery in a final state",
            extra=lambda: env.books().pending_deliveries == 0,
        )
        assert subscription["disabled_reason"] == "receiver_gone", subscription
        calls_when_disabled = env.receiver.calls
        ended = client.get("/v1/deliveries", params={"status": "failed", "limit": 100})
        assert ended.status_code == 200, ended.text
        ended_subjects = {item["subject"] for item in ended.json()["items"]}
        assert ended_subjects == set(driver.stats.accepted.values()), "final state not visible"
        assert env.receiver.calls == calls_when_disabled, "deliveries went on after disabling"
        env.receiver.set_mode("ok")
        enabled = client.post(
            f"/v1/subscriptions/{env.subscription_id}/enable", json={"redeliver_disabled": True}
        )
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["status"] == "active"
    env.end_fault()
    env.finish(driver, expected_accepted=8)


def test_poison_records_go_to_the_dead_letter_topics(
    start_faults: FaultEnvFactory, broker: BrokerHandle
) -> None:
    env = start_faults("poison-records", seed=8)
    tag = uuid.UUID(int=random.Random(8).getrandbits(128)).hex[:12]
    consumers = {
        "case.registered": {"eligibility_api"},
        "handover.requested": {"eligibility_api", "notifications_api"},
    }
    poison = {
        ("case.registered", f"poison-{tag}-bytes"): b"\x00\xffnot json",
        ("case.registered", f"poison-{tag}-data"): poison_event("de.handover.case.registered.v1"),
        ("handover.requested", f"poison-{tag}-type"): poison_event("de.handover.unknown.v9"),
        ("handover.requested", f"poison-{tag}-data"): poison_event(
            "de.handover.handover.requested.v1"
        ),
    }
    records = [
        (topic, key.encode(), value, [("content-type", b"application/cloudevents+json")])
        for (topic, key), value in poison.items()
    ]
    driver = run_through(env, lambda: produce_sync(broker, records), spread=15.0)
    env.finish(driver, expected_accepted=HANDOVERS)
    for topic, groups in consumers.items():
        mine = {key for t, key in poison if t == topic}
        dead: dict[str, set[str]] = {key: set() for key in mine}
        deadline = time.monotonic() + DRAIN_LIMIT
        while time.monotonic() < deadline:
            for record in read_topic(broker, f"{topic}.dlq"):
                key = (record.key or b"").decode(errors="replace")
                if key in dead:
                    headers = {k: v.decode() for k, v in record.headers}
                    assert headers["dlq-original-topic"] == topic
                    dead[key].add(headers["dlq-consumer-group"])
            if all(seen >= groups for seen in dead.values()):
                break
        assert all(seen >= groups for seen in dead.values()), (topic, dead)


def test_one_idempotency_key_100_requests_10_concurrent(start_faults: FaultEnvFactory) -> None:
    """100 identical creating requests, 10 at a time: one case, one handover, one webhook."""
    env = start_faults("idempotency-key-100x10", seed=9)
    driver = env.driver()
    rng = random.Random(9)
    body = case_body(rng)

    def hammer(path: str, kind: str, payload: dict[str, Any]) -> list[httpx.Response]:
        def one(_: int) -> httpx.Response | None:
            with driver.client() as client:
                try:
                    return driver.send(
                        client,
                        "POST",
                        path,
                        key=f"idem-{kind}",
                        kind=kind,
                        retry=False,
                        json=payload,
                    )
                except GaveUp:  # a 5xx or a dropped connection: counted by the driver
                    return None

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = [a for a in pool.map(one, range(100)) if a is not None]
        for answer in answers:
            # The others get the stored response or 409 "in progress"; any other 409 is wrong.
            if not in_progress(answer):
                driver.expect(answer, 201)
        return [a for a in answers if a.status_code == 201]

    created = hammer("/v1/cases", "case", body)
    assert created, driver.stats.status_counts
    case_id = str(created[0].json()["id"])
    with driver.client() as client:
        assert driver.upload_dossier(client, 0, case_id, rng), driver.stats.unexpected
    started = hammer(f"/v1/cases/{case_id}/handovers", "handover", HANDOVER_BODY)
    assert started, driver.stats.status_counts
    with driver.stats.lock:
        for answer in started:
            driver.stats.accepted[str(answer.json()["id"])] = case_id
        driver.stats.last_accepted_at = time.monotonic()
    env.end_fault()
    env.finish(driver, expected_accepted=1)


def test_per_case_order_of_sequential_changes(
    start_faults: FaultEnvFactory, broker: BrokerHandle
) -> None:
    """PATCH each case's facts 20 times: the projection ends at the last, events in order."""
    env = start_faults("per-case-order", seed=10)
    driver = env.driver()
    changes = 20
    with driver.client() as client:
        case_ids = [driver.create_case(client, i, random.Random(f"10-{i}")) for i in range(3)]
    assert all(case_ids), driver.stats.unexpected

    def change(index: int) -> None:
        case_id = case_ids[index]
        facts = case_body(random.Random(f"10-{index}"))["facts"]
        with driver.client() as client:
            etag = client.get(f"/v1/cases/{case_id}").headers["etag"]
            for version in range(1, changes + 1):
                response = driver.send(
                    client,
                    "PATCH",
                    f"/v1/cases/{case_id}",
                    key=None,
                    json={"facts": {**facts, "household_monthly_need_eur": version}},
                    headers={"If-Match": etag},
                )
                if not driver.expect(response, 200):
                    return
                etag = response.headers["etag"]

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(change, range(3)))
    env.end_fault()
    started = time.monotonic()
    projected: dict[str, Decimal | None] = {}
    while time.monotonic() - started < DRAIN_LIMIT:
        projected = projection(env, case_ids)
        if all(v == changes for v in projected.values()) and not any(
            env.books().unsent_outbox.values()
        ):
            break
        time.sleep(0.25)  # polling the eligibility projection, which has no change feed
    drain = time.monotonic() - started
    seen: dict[str, list[Decimal]] = {str(c): [] for c in case_ids}
    event_ids: dict[str, set[str]] = {str(c): set() for c in case_ids}
    for record in read_topic(broker, "case.updated"):
        key = (record.key or b"").decode()
        if key in seen:
            event = json.loads(record.value or b"{}")
            if event["id"] not in event_ids[key]:
                event_ids[key].add(event["id"])
                seen[key].append(Decimal(str(event["data"]["facts"]["household_monthly_need_eur"])))
    expected = [Decimal(v) for v in range(1, changes + 1)]
    lost = sum(len(set(expected) - set(values)) for values in seen.values()) + sum(
        1 for v in projected.values() if v != changes
    )
    duplicates = sum(len(values) - len(set(values)) for values in seen.values())
    figures = Figures(
        name=env.name,
        accepted=driver.stats.status_counts.get(200, 0),
        lost=lost,
        duplicates=duplicates,
        retries=driver.stats.retries,
        server_errors=len(driver.stats.server_errors),
        drain_seconds=drain,
    )
    env.publish(figures, {"projected": projected, "order": seen})
    assert not driver.stats.unexpected, driver.stats.unexpected[:5]
    assert figures.accepted == 3 * changes
    assert figures.lost == 0, (projected, seen)
    assert figures.duplicates == 0, seen
    assert all(values == expected for values in seen.values()), seen
    assert figures.server_errors == 0
    assert drain <= DRAIN_LIMIT


# -- helpers -------------------------------------------------------------------------------


def wait_for(check: Any, what: str, *, extra: Any = None, timeout: float = DRAIN_LIMIT) -> Any:
    """Poll `check()` (and `extra()`) until both hold; return check's value or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value and (extra is None or extra()):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {timeout:.0f}s: {what}")
        time.sleep(0.25)  # polling the services' books


def disabled(client: httpx.Client, subscription_id: str) -> dict[str, Any] | None:
    """The subscription when it is disabled, else None."""
    body: dict[str, Any] = client.get(f"/v1/subscriptions/{subscription_id}").json()
    return body if body.get("status") == "disabled" else None


def poison_event(event_type: str) -> bytes:
    """A structurally valid CloudEvent whose data no consumer can apply."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "/fault-suite",
            "type": event_type,
            "time": "2026-01-01T00:00:00Z",
            "subject": str(uuid.uuid4()),
            "datacontenttype": "application/json",
            "data": {"case_id": "not-a-uuid"},
        }
    ).encode()


def projection(env: FaultEnv, case_ids: list[str | None]) -> dict[str, Decimal | None]:
    """household_monthly_need_eur of each case as eligibility_api projected it."""
    url = env.postgres.url(DATABASES["eligibility_api"])
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT case_id::text, facts ->> 'household_monthly_need_eur' FROM case_facts"
        ).fetchall()
    values = {str(case_id): value for case_id, value in rows}
    return {
        str(c): (Decimal(values[str(c)]) if values.get(str(c)) is not None else None)
        for c in case_ids
    }
