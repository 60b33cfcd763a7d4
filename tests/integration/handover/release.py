"""Shared steps of the release-rule tests: a handover_api next to a notifications_api."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from handover_api.api.schemas import CASE_EXAMPLE
from handover_api.consumers import consumer_groups
from handover_api.state import HandoverState
from shared.events.eligibility import EligibilityDeterminedV1, KeyDatesV1
from shared.events.envelope import make_event
from shared.events.handover import CaseTransferredV1
from shared.events.registry import decode
from tests.integration.handover.conftest import HandoverHarness
from tests.integration.notifications.conftest import Harness

PDF = b"%PDF-1.7\n" + b"x" * 100
# Strings about the person in the dossier; none may reach the receiver before transfer.
PERSON_FACTS = ("Mustermann", "Erika", "1971-01-15", "2025-02-01", "Witten", "KLDB_25102")


def case_body(municipality: str | None = "Witten") -> dict[str, Any]:
    """The documented case without a Kundennummer (one case per number and organisation)."""
    body = {k: v for k, v in CASE_EXAMPLE.items() if k != "kundennummer"}
    body["municipality"] = municipality
    return body


async def create_case(h: HandoverHarness, org: str, municipality: str | None = "Witten") -> str:
    response = await h.client.post("/v1/cases", json=case_body(municipality), headers=h.auth(org))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


async def upload(
    h: HandoverHarness,
    org: str,
    case_id: str,
    doc_type: str,
    *,
    legal_basis: str | None = None,
    special: bool = False,
) -> dict[str, Any]:
    data = {"type": doc_type}
    if legal_basis is not None:
        data["legal_basis"] = legal_basis
    if special:
        data["special"] = "true"
    response = await h.client.post(
        f"/v1/cases/{case_id}/documents",
        files={"file": (f"{doc_type.lower()}.pdf", PDF + uuid.uuid4().bytes, "application/pdf")},
        data=data,
        headers=h.auth(org),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def record_trigger(h: HandoverHarness, org: str, handover_id: str, trigger: str) -> Any:
    response = await h.client.post(
        f"/v1/handovers/{handover_id}/trigger",
        json={"type": trigger, "occurred_on": "2026-04-02"},
        headers=h.auth(org),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def relay_to(h: HandoverHarness, n: Harness, topic: str) -> None:
    """Publish the handover outbox and feed the records of `topic` to notifications_api."""
    await h.drain_outbox()
    for record in h.publisher.on_topic(topic):
        assert await n.consume(decode(record.value)) in {"processed", "duplicate"}
    worker = n.worker()
    while await worker.run_once():
        pass


def webhook_bodies(n: Harness, event_type: str) -> list[dict[str, Any]]:
    """Bodies of the webhooks of `event_type` the receiver got, in order."""
    bodies = [json.loads(r.content) for r in n.receiver.requests]
    return [b for b in bodies if b["type"] == event_type]


async def deliver_eligibility(h: HandoverHarness, handover: dict[str, Any], domain: str) -> None:
    """Apply an `eligibility.determined` for the handover through the service's own handler."""
    event = make_event(
        EligibilityDeterminedV1(
            case_id=uuid.UUID(handover["case_id"]),
            handover_id=uuid.UUID(handover["id"]),
            check_id=uuid.uuid4(),
            as_of=date(2026, 5, 1),
            legal_domain=domain,
            responsible_org_type="JOBCENTER" if domain == "SGB_II" else "AGENTUR",
            key_dates=KeyDatesV1(alg1_end_date=date(2026, 4, 30)),
            rules_version="test",
            determined_at=datetime(2026, 4, 2, 9, 0, tzinfo=UTC),
        ),
        source="/eligibility_api",
        subject=handover["case_id"],
    )
    state: HandoverState = h.app.state.service
    handler = consumer_groups(state.transfer)["handover_api"]["eligibility.determined"]
    uow = state.make_uow()
    async with uow:
        await handler(event, uow)
        await uow.commit()


def transferred_events(h: HandoverHarness, handover_id: str) -> list[CaseTransferredV1]:
    """The `case.transferred` data published for the handover (after a drain)."""
    found = [decode(r.value).data for r in h.publisher.on_topic("case.transferred")]
    return [
        d for d in found if isinstance(d, CaseTransferredV1) and str(d.handover_id) == handover_id
    ]
