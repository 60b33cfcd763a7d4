"""Release rules: before the legal trigger the receiver learns only that a handover is announced.

One scenario per handover reason, through the real notifications pipeline (inbox consumer,
delivery worker, signed webhook): before the trigger, the receiver's handover, case and
document reads answer 404 and the `handover.requested` webhook names no fact about the
person; once the trigger is recorded the case transfers and facts, documents and plan flow.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from handover_api.domain.documents import REQUIRED_DOCUMENTS, SPECIAL_CATEGORY, HandoverReason
from notifications_api.app import create_app
from services.issuer import DevIssuer
from shared.db import migrations
from shared.events.handover import HandoverRequestedV1
from shared.events.registry import decode
from shared.messaging.memory import InMemoryPublisher
from tests.conftest import DatabaseFactory
from tests.integration.handover.conftest import AGENCY, JOBCENTER, HandoverHarness
from tests.integration.handover.release import (
    PERSON_FACTS,
    create_case,
    deliver_eligibility,
    record_trigger,
    relay_to,
    transferred_events,
    upload,
    webhook_bodies,
)
from tests.integration.notifications.conftest import Harness, Receiver, notifications_settings

R = HandoverReason
ANNOUNCEMENT_FIELDS = {
    "handover_id",
    "reason",
    "from_org",
    "to_org",
    "legal_domain_from",
    "legal_domain_to",
    "transfer_date",
    "requested_at",
    "status",
}
# reason: (source, receiver, legal domain eligibility confirms, legal trigger)
SCENARIOS: dict[HandoverReason, tuple[str, str, str, str]] = {
    R.ALG1_EXHAUSTED: (AGENCY, JOBCENTER, "SGB_II", "SGB2_APPLICATION_FILED"),
    R.AUFSTOCKER_END: (AGENCY, JOBCENTER, "SGB_II", "ALG1_ENDED"),
    R.ASYLUM_RECOGNISED: (AGENCY, JOBCENTER, "SGB_II", "ASYLUM_DECISION_SERVED"),
    R.U25_JOINT: (AGENCY, JOBCENTER, "SGB_II", "SGB2_APPLICATION_FILED"),
    R.RETURN_TO_SGB3: (JOBCENTER, AGENCY, "SGB_III", "NEW_ALG1_CLAIM"),
    R.TO_SGB12: (AGENCY, JOBCENTER, "SGB_II", "SGB12_APPLICATION_FILED"),
    R.UKRAINE_LRAG: (JOBCENTER, AGENCY, "SGB_III", "CONSENT_RECORDED"),
}
LEGAL_BASIS = "§ 69 Abs. 1 Nr. 1 SGB X i. V. m. § 76 Abs. 2 Nr. 1 SGB X"


@pytest.fixture
async def notifications(
    postgres_database: DatabaseFactory, issuer: DevIssuer
) -> AsyncIterator[Harness]:
    """notifications_api in-process on its own database; webhooks go to a MockTransport."""
    url = postgres_database("notifications")
    await asyncio.to_thread(migrations.upgrade, "notifications_api", url)
    settings = notifications_settings(url, issuer)
    receiver = Receiver()
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle)) as hooks:
        app = create_app(settings, publisher=InMemoryPublisher(), http_client=hooks)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield Harness(app, settings, issuer, client, receiver, hooks)


async def receiver_sees(h: HandoverHarness, org: str, paths: list[str]) -> list[int]:
    """The status of each read as `org`."""
    return [(await h.client.get(p, headers=h.auth(org))).status_code for p in paths]


@pytest.mark.parametrize("reason", list(SCENARIOS), ids=[r.value for r in SCENARIOS])
async def test_the_receiver_learns_the_announcement_then_the_dossier_on_transfer(
    harness: HandoverHarness, notifications: Harness, reason: HandoverReason
) -> None:
    h, n = harness, notifications
    source, receiver, domain, trigger = SCENARIOS[reason]
    await n.subscribe(receiver, ["handover.requested", "case.transferred"])
    case_id = await create_case(h, source)
    documents = [
        await upload(
            h,
            source,
            case_id,
            t.value,
            legal_basis=LEGAL_BASIS if t in SPECIAL_CATEGORY else None,
        )
        for t in sorted(REQUIRED_DOCUMENTS[reason])
    ]
    started = await h.client.post(
        f"/v1/cases/{case_id}/handovers",
        json={"reason": reason.value, "to_org": receiver, "transfer_date": "2026-05-01"},
        headers=h.auth(source),
    )
    assert started.status_code == 201, started.text
    handover = started.json()
    await deliver_eligibility(h, handover, domain)
    handover_path = f"/v1/handovers/{handover['id']}"
    reads = [
        handover_path,
        f"/v1/cases/{case_id}",
        f"/v1/cases/{case_id}/documents",
        f"/v1/documents/{documents[0]['id']}",
        f"/v1/documents/{documents[0]['id']}/content",
    ]

    # Before the trigger: nothing about the person, in the API or in the webhook.
    source_view = (await h.client.get(handover_path, headers=h.auth(source))).json()
    assert source_view["status"] == "preparing"
    assert await receiver_sees(h, receiver, reads) == [404] * len(reads)
    incoming = await h.client.get("/v1/handovers?direction=incoming", headers=h.auth(receiver))
    assert incoming.json()["items"] == []
    await relay_to(h, n, "handover.requested")
    [announced] = webhook_bodies(n, "de.handover.handover.requested.v1")
    assert set(announced["data"]) == ANNOUNCEMENT_FIELDS
    assert announced["data"]["handover_id"] == handover["id"]
    assert (announced["data"]["reason"], announced["data"]["from_org"]) == (reason.value, source)
    assert announced["data"]["transfer_date"] == "2026-05-01"
    raw = json.dumps(announced, ensure_ascii=False)
    assert [fact for fact in PERSON_FACTS if fact in raw] == []
    # The Kafka event itself still carries the facts eligibility decides on for the source.
    [record] = h.publisher.on_topic("handover.requested")
    kafka_data = decode(record.value).data
    assert isinstance(kafka_data, HandoverRequestedV1)
    assert str(kafka_data.facts.birth_date) == "1971-01-15"
    assert webhook_bodies(n, "de.handover.case.transferred.v1") == []

    # The trigger releases the dossier: the case transfers by itself.
    after = await record_trigger(h, source, handover["id"], trigger)
    assert after["status"] == "transferred", after["blocking"]
    assert await receiver_sees(h, receiver, reads) == [200] * len(reads)
    case = (await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(receiver))).json()
    assert case["facts"]["birth_date"] == "1971-01-15"
    assert case["integration_plan"] is not None
    listed = await h.client.get(f"/v1/cases/{case_id}/documents", headers=h.auth(receiver))
    assert {d["id"] for d in listed.json()["items"]} == {d["id"] for d in documents}
    await relay_to(h, n, "case.transferred")
    [transferred] = webhook_bodies(n, "de.handover.case.transferred.v1")
    assert {d["document_id"] for d in transferred["data"]["documents"]} == {
        d["id"] for d in documents
    }
    assert transferred["data"]["integration_plan"]["goals"][0]["code"] == "KLDB_25102"
    assert transferred["data"]["withheld_documents"] == []
    [event] = transferred_events(h, handover["id"])
    assert event.withheld_documents == ()
