"""U25 joint case (domain.md §2.3, R4) on PostgreSQL, with the relay publishing to the broker.

Agentur Hagen starts a `U25_JOINT` handover to Jobcenter Ennepe-Ruhr; when it transfers the
Agentur keeps the case and the Jobcenter works it too. Both read the case, its documents and
its plan; a third organisation gets 404; a measure exists once in the shared plan whichever
side adds it; conferences are recorded by either side; either side names the lead; either
side ends the joint case and the other keeps it, announced as `case.joint_ended`.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from handover_api.api.schemas import (
    CASE_EXAMPLE,
    CONFERENCE_EXAMPLE,
    LEAD_CONTACT_EXAMPLE,
)
from handover_api.app import create_app
from handover_api.consumers import consumer_groups
from handover_api.domain.documents import REQUIRED_DOCUMENTS, HandoverReason
from handover_api.state import HandoverState
from services.issuer import DevIssuer
from shared.db import migrations
from shared.events.case import CaseJointEndedV1
from shared.events.eligibility import EligibilityDeterminedV1, KeyDatesV1
from shared.events.envelope import make_event
from shared.events.registry import decode
from shared.settings import RelaySettings
from tests.conftest import BrokerHandle, DatabaseFactory
from tests.examples import with_fresh_kundennummer
from tests.integration.handover.conftest import AGENCY, JOBCENTER, OTHER, handover_settings
from tests.integration.kafka_reading import wait_for_keys

PROBLEM = "urn:handover-broker:problem:"
PDF = b"%PDF-1.7\n" + b"x" * 100
BVB = {
    "type": "BVB",
    "start_date": "2026-09-01",
    "end_date": "2027-06-30",
    "cost_bearer": "AGENTUR",
}
EQ = {
    "type": "EQ",
    "start_date": "2026-04-01",
    "end_date": "2026-09-30",
    "cost_bearer": "JOBCENTER",
}


@dataclass
class Joint:
    """handover_api with its real relay on the real broker, and a client per organisation."""

    app: FastAPI
    client: httpx.AsyncClient
    issuer: DevIssuer

    def auth(self, org: str, etag: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.issuer.token(org)}"}
        if etag is not None:
            headers["If-Match"] = etag
        return headers


@pytest.fixture
async def joint(
    postgres_database: DatabaseFactory, issuer: DevIssuer, broker: BrokerHandle, tmp_path: Path
) -> AsyncIterator[Joint]:
    url = postgres_database("joint")
    await asyncio.to_thread(migrations.upgrade, "handover_api", url)
    settings = handover_settings(url, issuer, tmp_path).model_copy(
        update={"KAFKA": broker.kafka_settings(), "RELAY": RelaySettings()}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Joint(app, client, issuer)


async def deliver_eligibility(j: Joint, handover: dict[str, Any]) -> None:
    """eligibility_api confirms the Jobcenter (SGB II), through the service's own handler."""
    event = make_event(
        EligibilityDeterminedV1(
            case_id=uuid.UUID(handover["case_id"]),
            handover_id=uuid.UUID(handover["id"]),
            check_id=uuid.uuid4(),
            as_of=date(2026, 3, 12),
            legal_domain="SGB_II",
            responsible_org_type="JOBCENTER",
            key_dates=KeyDatesV1(),
            rules_version="test",
            determined_at=datetime(2026, 3, 12, 9, tzinfo=UTC),
        ),
        source="/eligibility_api",
        subject=handover["case_id"],
    )
    state: HandoverState = j.app.state.service
    handler = consumer_groups(state.transfer)["handover_api"]["eligibility.determined"]
    uow = state.make_uow()
    async with uow:
        await handler(event, uow)
        await uow.commit()


async def joint_case(j: Joint, *, accepted: bool = True) -> dict[str, Any]:
    """A young person's case of Agentur Hagen, worked jointly with Jobcenter Ennepe-Ruhr."""
    body = copy.deepcopy(with_fresh_kundennummer(CASE_EXAMPLE))
    body["facts"]["birth_date"] = "2005-05-10"
    created = await j.client.post("/v1/cases", json=body, headers=j.auth(AGENCY))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    for doc_type in sorted(REQUIRED_DOCUMENTS[HandoverReason.U25_JOINT]):
        uploaded = await j.client.post(
            f"/v1/cases/{case_id}/documents",
            files={"file": ("doc.pdf", PDF + doc_type.value.encode(), "application/pdf")},
            data={"type": doc_type.value},
            headers=j.auth(AGENCY),
        )
        assert uploaded.status_code == 201, uploaded.text
    started = await j.client.post(
        f"/v1/cases/{case_id}/handovers",
        json={
            "reason": "U25_JOINT",
            "to_org": JOBCENTER,
            "trigger": {"type": "CONSENT_RECORDED", "occurred_on": "2026-03-12"},
        },
        headers=j.auth(AGENCY),
    )
    assert started.status_code == 201, started.text
    handover = started.json()
    await deliver_eligibility(j, handover)
    if accepted:
        read = await j.client.get(f"/v1/handovers/{handover['id']}", headers=j.auth(JOBCENTER))
        assert read.json()["status"] == "transferred", read.text
        answer = await j.client.post(
            f"/v1/handovers/{handover['id']}/accept",
            headers=j.auth(JOBCENTER, read.headers["ETag"]),
        )
        assert answer.status_code == 200, answer.text
    return {"id": case_id, "handover_id": handover["id"]}


async def read_case(j: Joint, case_id: str, org: str) -> httpx.Response:
    return await j.client.get(f"/v1/cases/{case_id}", headers=j.auth(org))


async def edit_plan(j: Joint, case_id: str, org: str, measures: list[dict[str, Any]]) -> Any:
    """Send the shared plan back with its measures (kept ones by id) plus `measures`."""
    current = await read_case(j, case_id, org)
    plan = current.json()["integration_plan"]
    kept = [
        {k: v for k, v in m.items() if v is not None and k != "measure_id"}
        | {"measure_id": m["measure_id"]}
        for m in plan["measures"]
    ]
    body = {"integration_plan": {"plan_type": plan["plan_type"], "measures": kept + measures}}
    return await j.client.patch(
        f"/v1/cases/{case_id}", json=body, headers=j.auth(org, current.headers["ETag"])
    )


class TestBothRead:
    """The owner keeps the case; the partner works it too; a third organisation does not."""

    async def test_both_read_case_documents_and_plan_a_third_gets_404(self, joint: Joint) -> None:
        j = joint
        case = await joint_case(j, accepted=False)

        by_agency = await read_case(j, case["id"], AGENCY)
        by_jobcenter = await read_case(j, case["id"], JOBCENTER)
        by_other = await read_case(j, case["id"], OTHER)

        assert by_agency.status_code == 200
        assert by_jobcenter.status_code == 200
        assert by_other.status_code == 404
        shared = by_jobcenter.json()
        assert shared["owner_org"] == AGENCY
        assert shared["joint"]["partner_org"] == JOBCENTER
        assert shared["joint"]["lead_org"] == AGENCY
        assert shared["joint"]["lead_contact"] is None
        assert shared["integration_plan"] == by_agency.json()["integration_plan"]
        documents = await j.client.get(
            f"/v1/cases/{case['id']}/documents", headers=j.auth(JOBCENTER)
        )
        assert documents.status_code == 200
        items = documents.json()["items"]
        assert len(items) == len(REQUIRED_DOCUMENTS[HandoverReason.U25_JOINT])
        content = await j.client.get(
            f"/v1/documents/{items[0]['id']}/content", headers=j.auth(JOBCENTER)
        )
        assert content.status_code == 200
        assert content.content.startswith(PDF)
        foreign = await j.client.get(
            f"/v1/documents/{items[0]['id']}/content", headers=j.auth(OTHER)
        )
        assert foreign.status_code == 404
        assert (
            await j.client.get(f"/v1/cases/{case['id']}/documents", headers=j.auth(OTHER))
        ).status_code == 404

    async def test_the_partner_cannot_hand_the_case_over_or_change_the_facts(
        self, joint: Joint
    ) -> None:
        j = joint
        case = await joint_case(j)
        current = await read_case(j, case["id"], JOBCENTER)

        facts = await j.client.patch(
            f"/v1/cases/{case['id']}",
            json={"municipality": "Gevelsberg"},
            headers=j.auth(JOBCENTER, current.headers["ETag"]),
        )
        handover = await j.client.post(
            f"/v1/cases/{case['id']}/handovers",
            json={"reason": "ALG1_EXHAUSTED", "to_org": "agentur-ahlen-muenster"},
            headers=j.auth(JOBCENTER),
        )

        assert facts.status_code == 409
        assert facts.json()["type"] == PROBLEM + "case-not-writable"
        assert handover.status_code == 404


class TestOneMeasureOnce:
    """The shared plan holds a measure once, whichever side adds it."""

    async def test_a_duplicate_is_refused_from_either_side_naming_the_existing_measure(
        self, joint: Joint
    ) -> None:
        j = joint
        case = await joint_case(j)
        added = await edit_plan(j, case["id"], AGENCY, [BVB])
        assert added.status_code == 200, added.text
        bvb = next(m for m in added.json()["integration_plan"]["measures"] if m["type"] == "BVB")

        twice = await edit_plan(
            j, case["id"], JOBCENTER, [{**BVB, "start_date": "2026-10-01", "end_date": None}]
        )

        assert twice.status_code == 409
        assert twice.json()["type"] == PROBLEM + "duplicate-measure"
        assert twice.json()["existing_measure_id"] == bvb["measure_id"]
        by_jobcenter = await edit_plan(j, case["id"], JOBCENTER, [EQ])
        assert by_jobcenter.status_code == 200, by_jobcenter.text
        plan = by_jobcenter.json()["integration_plan"]
        eq = next(m for m in plan["measures"] if m["type"] == "EQ")
        again = await edit_plan(j, case["id"], AGENCY, [{**EQ, "start_date": "2026-06-01"}])
        assert again.status_code == 409
        assert again.json()["existing_measure_id"] == eq["measure_id"]
        final = (await read_case(j, case["id"], AGENCY)).json()["integration_plan"]
        assert sorted(m["type"] for m in final["measures"]) == ["BILDUNGSGUTSCHEIN", "BVB", "EQ"]

    async def test_a_stale_etag_of_the_other_side_is_refused(self, joint: Joint) -> None:
        j = joint
        case = await joint_case(j)
        stale = (await read_case(j, case["id"], JOBCENTER)).headers["ETag"]
        assert (await edit_plan(j, case["id"], AGENCY, [BVB])).status_code == 200

        late = await j.client.patch(
            f"/v1/cases/{case['id']}",
            json={"integration_plan": {"plan_type": "FOERDERPLAN", "measures": [EQ]}},
            headers=j.auth(JOBCENTER, stale),
        )

        assert late.status_code == 412


class TestConferences:
    """Either side records a conference; both list it; the review is due within 3 months."""

    async def test_recorded_by_the_partner_and_listed_by_the_owner(self, joint: Joint) -> None:
        j = joint
        case = await joint_case(j)

        recorded = await j.client.post(
            f"/v1/cases/{case['id']}/conferences",
            json=CONFERENCE_EXAMPLE,
            headers={**j.auth(JOBCENTER), "Idempotency-Key": "conf-1"},
        )
        repeated = await j.client.post(
            f"/v1/cases/{case['id']}/conferences",
            json=CONFERENCE_EXAMPLE,
            headers={**j.auth(JOBCENTER), "Idempotency-Key": "conf-1"},
        )

        assert recorded.status_code == 201, recorded.text
        assert repeated.json()["id"] == recorded.json()["id"]
        listed = await j.client.get(f"/v1/cases/{case['id']}/conferences", headers=j.auth(AGENCY))
        assert listed.status_code == 200
        (item,) = listed.json()["items"]
        assert item["id"] == recorded.json()["id"]
        assert item["recorded_by_org"] == JOBCENTER
        assert item["lead_org"] == AGENCY
        assert item["next_review_date"] == "2026-06-12"
        assert {p["role"] for p in item["participants"]} == {"BERUFSBERATUNG", "U25_TEAM"}
        other = await j.client.get(f"/v1/cases/{case['id']}/conferences", headers=j.auth(OTHER))
        assert other.status_code == 404
        trail = await j.client.get(f"/v1/cases/{case['id']}/audit", headers=j.auth(AGENCY))
        actions = [(e["action"], e["actor_org"]) for e in trail.json()["items"]]
        assert ("case.conference_recorded", JOBCENTER) in actions
        assert ("case.conferences_listed", AGENCY) in actions

    async def test_a_review_later_than_three_months_is_refused(self, joint: Joint) -> None:
        j = joint
        case = await joint_case(j)

        late = await j.client.post(
            f"/v1/cases/{case['id']}/conferences",
            json={**CONFERENCE_EXAMPLE, "next_review_date": "2026-06-13"},
            headers=j.auth(AGENCY),
        )

        assert late.status_code == 422
        assert late.json()["type"] == PROBLEM + "review-too-late"

    async def test_a_case_worked_by_one_organisation_has_no_conferences(self, joint: Joint) -> None:
        j = joint
        created = await j.client.post(
            "/v1/cases", json=with_fresh_kundennummer(CASE_EXAMPLE), headers=j.auth(AGENCY)
        )

        refused = await j.client.post(
            f"/v1/cases/{created.json()['id']}/conferences",
            json=CONFERENCE_EXAMPLE,
            headers=j.auth(AGENCY),
        )

        assert refused.status_code == 409
        assert refused.json()["type"] == PROBLEM + "not-joint-case"


class TestLead:
    """Either side names the lead and its caseworker, with If-Match; audited."""

    async def test_the_partner_takes_the_lead(self, joint: Joint) -> None:
        j = joint
        case = await joint_case(j)
        etag = (await read_case(j, case["id"], JOBCENTER)).headers["ETag"]
        body = {"lead_org": JOBCENTER, "lead_contact": LEAD_CONTACT_EXAMPLE}

        changed = await j.client.put(
            f"/v1/cases/{case['id']}/joint/lead", json=body, headers=j.auth(JOBCENTER, etag)
        )
        stale = await j.client.put(
            f"/v1/cases/{case['id']}/joint/lead", json=body, headers=j.auth(AGENCY, etag)
        )

        assert changed.status_code == 200, changed.text
        assert changed.json()["joint"]["lead_org"] == JOBCENTER
        assert changed.json()["joint"]["lead_contact"] == LEAD_CONTACT_EXAMPLE
        assert stale.status_code == 412
        seen = await read_case(j, case["id"], AGENCY)
        assert seen.json()["joint"]["lead_org"] == JOBCENTER
        trail = await j.client.get(f"/v1/cases/{case['id']}/audit", headers=j.auth(AGENCY))
        (entry,) = [e for e in trail.json()["items"] if e["action"] == "case.joint_lead_changed"]
        assert entry["actor_org"] == JOBCENTER
        assert LEAD_CONTACT_EXAMPLE["name"] not in str(entry)
        foreign = await j.client.put(
            f"/v1/cases/{case['id']}/joint/lead",
            json={**body, "lead_org": OTHER},
            headers=j.auth(AGENCY, seen.headers["ETag"]),
        )
        assert foreign.status_code == 422
        assert foreign.json()["type"] == PROBLEM + "invalid-lead"
        documented = j.app.openapi()["components"]["schemas"]["JointLeadUpdate"]["examples"][0]
        back = await j.client.put(
            f"/v1/cases/{case['id']}/joint/lead",
            json=documented,
            headers=j.auth(AGENCY, seen.headers["ETag"]),
        )
        assert back.status_code == 200, back.text
        assert back.json()["joint"]["lead_org"] == AGENCY


class TestEnd:
    """Either side ends the joint case; the other keeps it; both hear of it over the broker."""

    async def test_the_partner_leaves_and_the_owner_keeps_the_case(
        self, joint: Joint, broker: BrokerHandle
    ) -> None:
        j = joint
        case = await joint_case(j)
        etag = (await read_case(j, case["id"], JOBCENTER)).headers["ETag"]

        ended = await j.client.post(
            f"/v1/cases/{case['id']}/joint/end",
            json={"reason": "NO_LONGER_INVOLVED"},
            headers=j.auth(JOBCENTER, etag),
        )

        assert ended.status_code == 200, ended.text
        assert ended.json()["owner_org"] == AGENCY
        assert ended.json()["joint"] is None
        assert (await read_case(j, case["id"], AGENCY)).status_code == 200
        assert (await read_case(j, case["id"], JOBCENTER)).status_code == 404
        handover = await j.client.get(
            f"/v1/handovers/{case['handover_id']}", headers=j.auth(JOBCENTER)
        )
        assert handover.json()["status"] == "completed"
        event = await self._joint_ended(broker, case["id"])
        assert (event.left_org, event.kept_by_org) == (JOBCENTER, AGENCY)
        assert event.reason == "NO_LONGER_INVOLVED"

    async def test_the_owner_leaves_and_the_case_moves_to_the_partner(
        self, joint: Joint, broker: BrokerHandle
    ) -> None:
        j = joint
        case = await joint_case(j)
        etag = (await read_case(j, case["id"], AGENCY)).headers["ETag"]

        ended = await j.client.post(
            f"/v1/cases/{case['id']}/joint/end",
            json={"reason": "AGED_OUT"},
            headers=j.auth(AGENCY, etag),
        )

        assert ended.status_code == 200, ended.text
        assert (await read_case(j, case["id"], AGENCY)).status_code == 404
        kept = await read_case(j, case["id"], JOBCENTER)
        assert kept.status_code == 200
        assert kept.json()["owner_org"] == JOBCENTER
        assert kept.json()["joint"] is None
        event = await self._joint_ended(broker, case["id"])
        assert (event.left_org, event.kept_by_org) == (AGENCY, JOBCENTER)

    async def test_not_before_the_partner_accepted_and_not_twice(self, joint: Joint) -> None:
        j = joint
        case = await joint_case(j, accepted=False)
        etag = (await read_case(j, case["id"], AGENCY)).headers["ETag"]

        early = await j.client.post(
            f"/v1/cases/{case['id']}/joint/end",
            json={"reason": "OTHER"},
            headers=j.auth(AGENCY, etag),
        )

        assert early.status_code == 409
        assert early.json()["type"] == PROBLEM + "transition-not-allowed"
        returned = await j.client.post(
            f"/v1/handovers/{case['handover_id']}/reject",
            json={"reason_code": "DUPLICATE"},
            headers=j.auth(JOBCENTER),
        )
        assert returned.status_code == 200, returned.text
        after = await read_case(j, case["id"], AGENCY)
        assert after.json()["joint"] is None
        assert (await read_case(j, case["id"], JOBCENTER)).status_code == 404
        again = await j.client.post(
            f"/v1/cases/{case['id']}/joint/end",
            json={"reason": "OTHER"},
            headers=j.auth(AGENCY, after.headers["ETag"]),
        )
        assert again.status_code == 409
        assert again.json()["type"] == PROBLEM + "not-joint-case"

    @staticmethod
    async def _joint_ended(broker: BrokerHandle, case_id: str) -> CaseJointEndedV1:
        records = await wait_for_keys(broker, CaseJointEndedV1.TOPIC, {case_id}, timeout=30)
        assert len(records) == 1
        envelope = decode(records[0].value or b"")
        assert envelope.type == CaseJointEndedV1.TYPE
        data: CaseJointEndedV1 = envelope.data
        return data
