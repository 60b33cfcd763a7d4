"""Personal data stays where it belongs: a canary case through the three real processes.

A case whose name, e-mail, phone, address and Kundennummer are unique canary strings goes
through a handover to transfer, with a webhook subscription answered by a real loopback
receiver, and through failure paths (a refused body, a 404, conflicts, a search by
Kundennummer). Afterwards no canary may appear in any Kafka record of any topic (keys,
values, headers; read from the beginning), in the output of any process, in any webhook or
in any `/metrics` answer. The case's own API, read by its owner, is the one place it shows.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from notifications_api.domain.routing import DELIVERABLE_TOPICS
from tests.conftest import BrokerHandle
from tests.e2e.stack import RunningStack
from tests.e2e.test_handover_slice import ALG1_EXHAUSTED_DOCUMENTS, poll
from tests.e2e.webhook_receiver import ReceivedWebhook, webhook_receiver
from tests.examples import ALG1_ENDS_CASE

AGENCY = "agentur-hagen"
JOBCENTER = "jobcenter-ennepe-ruhr"


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


TAG = secrets.token_hex(4)
GIVEN_NAME = f"Kanarie{TAG}"
FAMILY_NAME = f"Vogelsang{TAG}"
EMAIL = f"kanarie.{TAG}@example.de"
PHONE = f"+49 170 {_digits(10)}"
KUNDENNUMMER = f"{_digits(3)}K{_digits(6)}"
STREET = f"Kanarienweg {TAG}"
# The phone as it may be normalised or re-rendered: its distinctive digits.
PHONE_DIGITS = PHONE.rsplit(" ", 1)[1]
CANARIES = (GIVEN_NAME, FAMILY_NAME, EMAIL, PHONE_DIGITS, KUNDENNUMMER, STREET)


def canary_case() -> dict[str, Any]:
    body = copy.deepcopy(ALG1_ENDS_CASE)
    body["kundennummer"] = KUNDENNUMMER
    body["person"] = {
        "given_name": GIVEN_NAME,
        "family_name": FAMILY_NAME,
        "email": EMAIL,
        "phone": PHONE,
        "address": {"street": STREET, "postal_code": "58452", "town": "Witten"},
    }
    return body


def found_in(data: bytes | str) -> list[str]:
    raw = data if isinstance(data, bytes) else data.encode()
    return [canary for canary in CANARIES if canary.encode() in raw]


async def all_records(broker: BrokerHandle) -> list[tuple[str, bytes]]:
    """Every record of every topic on the broker, from the beginning: (where, bytes)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    found: list[tuple[str, bytes]] = []
    try:
        topics = sorted(t for t in await consumer.topics() if not t.startswith("__"))
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if end[tp] > 0}
        deadline = time.monotonic() + 60
        while remaining and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                for record in records:
                    where = f"{tp.topic}[{tp.partition}]@{record.offset}"
                    found.append((where + " key", record.key or b""))
                    found.append((where + " value", record.value or b""))
                    for name, value in record.headers or ():
                        found.append((f"{where} header {name}", name.encode() + b"=" + value))
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
        assert not remaining, f"partitions not read to their end: {remaining}"
        assert "case.registered" in topics
    finally:
        await consumer.stop()
    return found


def test_no_canary_leaves_its_place(stack: RunningStack, broker: BrokerHandle) -> None:
    webhooks: list[ReceivedWebhook]
    with (
        webhook_receiver() as receiver,
        stack.client("handover_api", AGENCY) as agency,
        stack.client("handover_api", JOBCENTER) as jobcenter,
        stack.client("notifications_api", JOBCENTER) as jobcenter_notifications,
        stack.client("notifications_api", AGENCY) as agency_notifications,
    ):
        for notifications in (jobcenter_notifications, agency_notifications):
            subscription = notifications.post(
                "/v1/subscriptions",
                json={"url": receiver.url, "event_types": list(DELIVERABLE_TOPICS)},
            )
            assert subscription.status_code == 201, subscription.text

        created = agency.post("/v1/cases", json=canary_case())
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        # The owner reads the person through the case API: the canaries are really stored.
        assert found_in(agency.get(f"/v1/cases/{case_id}").text)

        for doc_type in ALG1_EXHAUSTED_DOCUMENTS:
            content = f"%PDF-1.7\n{doc_type}\n".encode()
            uploaded = agency.post(
                f"/v1/cases/{case_id}/documents",
                files={"file": (f"{doc_type}.pdf", content, "application/pdf")},
                data={"type": doc_type},
            )
            assert uploaded.status_code == 201, uploaded.text
            assert uploaded.json()["sha256"] == hashlib.sha256(content).hexdigest()

        # Failure paths, each carrying the canaries where a caller could put them.
        refused = canary_case()
        refused["person"]["family_name"] = FAMILY_NAME + "\x00"
        answer = agency.post(
            "/v1/cases", json=refused, headers={"X-Request-ID": f"{FAMILY_NAME}/{TAG}"}
        )
        assert answer.status_code == 422, answer.text
        unknown = {**canary_case(), "note": f"{FAMILY_NAME} {EMAIL}"}
        assert agency.post("/v1/cases", json=unknown).status_code == 422
        conflict = agency.post("/v1/cases", json=canary_case())  # the same Kundennummer
        assert conflict.status_code == 409, conflict.text
        assert jobcenter.get(f"/v1/cases/{case_id}").status_code == 404
        assert agency.get(f"/v1/cases/{uuid.uuid4()}").status_code == 404
        search = agency.get("/v1/cases", params={"kundennummer": KUNDENNUMMER})
        assert [item["id"] for item in search.json()["items"]] == [case_id]
        bad_patch = agency.patch(
            f"/v1/cases/{case_id}",
            json={"person": {"given_name": GIVEN_NAME, "family_name": FAMILY_NAME}},
            headers={"If-Match": '"999"'},
        )
        assert bad_patch.status_code == 412, bad_patch.text

        started = agency.post(
            f"/v1/cases/{case_id}/handovers",
            json={
                "reason": "ALG1_EXHAUSTED",
                "to_org": JOBCENTER,
                "transfer_date": "2026-05-01",
                "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
            },
        )
        assert started.status_code == 201, started.text
        handover_id = started.json()["id"]
        second = agency.post(
            f"/v1/cases/{case_id}/handovers",
            json={"reason": "ALG1_EXHAUSTED", "to_org": JOBCENTER, "transfer_date": "2026-05-01"},
        )
        assert second.status_code == 409, second.text

        handover = poll(
            lambda: agency.get(f"/v1/handovers/{handover_id}").json(),
            lambda h: h["status"] != "preparing" and h["eligibility_status"] != "pending",
        )
        assert handover["status"] == "transferred", (handover, stack.log("eligibility_api"))
        # The receiver now reads the person it is responsible for (an audited read).
        assert found_in(jobcenter.get(f"/v1/cases/{case_id}").text)

        deadline = time.monotonic() + 60
        webhooks = receiver.wait_for(1, timeout=60)
        while time.monotonic() < deadline and not any(
            b"de.handover.case.transferred.v1" in w.body for w in webhooks
        ):
            webhooks = receiver.wait_for(len(webhooks) + 1, timeout=1)
        assert any(b"de.handover.case.transferred.v1" in w.body for w in webhooks)

    leaks: list[str] = []
    for webhook in webhooks:
        raw = webhook.body + repr(sorted(webhook.headers.items())).encode() + webhook.path.encode()
        leaks += [f"webhook {webhook.headers.get('webhook-id')}: {c}" for c in found_in(raw)]

    for app in stack.stack.apps:
        metrics = httpx.get(f"{app.url}/metrics", timeout=10, trust_env=False)
        assert metrics.status_code == 200
        assert "http_requests_total" in metrics.text or app.role == "worker"
        leaks += [f"{app.name} ({app.role}) /metrics: {c}" for c in found_in(metrics.text)]

    records = asyncio.run(all_records(broker))
    assert any(case_id.encode() in data for _, data in records), "the case's events are there"
    for where, data in records:
        leaks += [f"kafka {where}: {c}" for c in found_in(data)]

    stack.stack.stop()  # every process writes its last lines before the logs are read
    log_files = sorted(Path(stack.stack.config.log_dir).rglob("*"))
    logs = [path for path in log_files if path.is_file()]
    assert logs, "the processes wrote no output"
    assert any("http.request" in path.read_text(errors="replace") for path in logs)
    for path in logs:
        leaks += [f"log {path.name}: {c}" for c in found_in(path.read_bytes())]

    assert not leaks, "\n".join(leaks)
