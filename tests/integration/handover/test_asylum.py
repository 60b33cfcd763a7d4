"""Refugees (Ahlen-Münster/Münster): the asylum decision starts or advances the handover.

handover_api on a real PostgreSQL; eligibility_api's rule engine answers its events. The
scenario is dated: FLUECHTLING_3 served 2026-03-10, final 2026-03-25, recorded on
2026-03-12; the engine makes the Jobcenter responsible from 2026-04-01.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from handover_api.domain.documents import REQUIRED_DOCUMENTS, HandoverReason
from handover_api.state import HandoverState
from handover_api.use_cases.asylum import transfer_due
from shared.events.registry import decode
from tests.integration.handover.conftest import HandoverHarness
from tests.integration.handover.engine_bridge import EngineBridge, fix_clock
from tests.integration.handover.test_api import PDF

AGENCY_MS = "agentur-ahlen-muenster"
JOBCENTER_MS = "jobcenter-muenster"
RECORDED = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
REFUGEE: dict[str, Any] = {
    "birth_date": "1994-05-02",
    "nationality": "THIRD_COUNTRY",
    "erwerbsfaehig": True,
    "hilfebeduerftig": True,
    "habitual_residence_de": True,
    "residence_status": "AUFENTHALTSGESTATTUNG",
}
GRANTED = {
    "type": "FLUECHTLING_3",
    "decision_date": "2026-03-06",
    "served_date": "2026-03-10",
    "final_date": "2026-03-25",
}


@pytest.fixture
def bridge(harness: HandoverHarness, monkeypatch: pytest.MonkeyPatch) -> EngineBridge:
    fix_clock(monkeypatch, RECORDED)
    return EngineBridge(harness, RECORDED.date())


async def refugee_case(h: HandoverHarness, municipality: str = "Münster") -> str:
    body = {
        "municipality": municipality,
        "person": {"given_name": "Amal", "family_name": "Haddad"},
        "facts": REFUGEE,
    }
    response = await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY_MS))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    for doc_type in sorted(REQUIRED_DOCUMENTS[HandoverReason.ASYLUM_RECOGNISED]):
        uploaded = await h.client.post(
            f"/v1/cases/{case_id}/documents",
            files={"file": (f"{doc_type.lower()}.pdf", PDF + doc_type.encode(), "application/pdf")},
            data={"type": doc_type.value},
            headers=h.auth(AGENCY_MS),
        )
        assert uploaded.status_code == 201, uploaded.text
    return case_id


async def record(
    h: HandoverHarness, case_id: str, decision: dict[str, Any] = GRANTED
) -> dict[str, Any]:
    case = await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY_MS))
    response = await h.client.post(
        f"/v1/cases/{case_id}/asylum-decision",
        json=decision,
        headers={**h.auth(AGENCY_MS), "If-Match": case.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] != case.headers["ETag"]
    result: dict[str, Any] = response.json()
    return result


async def handover(h: HandoverHarness, handover_id: str) -> dict[str, Any]:
    response = await h.client.get(f"/v1/handovers/{handover_id}", headers=h.auth(AGENCY_MS))
    assert response.status_code == 200, response.text
    read: dict[str, Any] = response.json()
    return read


async def run_dated_transfers(h: HandoverHarness) -> int:
    state: HandoverState = h.app.state.service
    uow = state.make_uow()
    async with uow:
        moved = await transfer_due(uow, state.transfer)
        await uow.commit()
    return moved


async def audit_actions(h: HandoverHarness, case_id: str, org: str) -> list[str]:
    response = await h.client.get(f"/v1/cases/{case_id}/audit?limit=200", headers=h.auth(org))
    assert response.status_code == 200, response.text
    return [e["action"] for e in response.json()["items"]]


class TestPositiveDecision:
    async def test_starts_the_handover_which_transfers_on_the_engines_first_day(
        self, harness: HandoverHarness, bridge: EngineBridge, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        h = harness
        case_id = await refugee_case(h)
        await bridge.settle()

        result = await record(h, case_id)

        assert result["outcome"] == "handover-started"
        assert result["to_org"] == JOBCENTER_MS
        assert result["outcome_text_de"].startswith("Die Übergabe an das zuständige Jobcenter")
        started = result["handover"]
        assert started["reason"] == "ASYLUM_RECOGNISED"
        assert started["transfer_date_from_eligibility"] is True
        assert started["trigger"]["type"] == "ASYLUM_DECISION_SERVED"
        assert started["trigger"]["occurred_on"] == "2026-03-10"
        assert started["blocking"] == ["eligibility-pending"]

        await bridge.settle()

        waiting = await handover(h, started["id"])
        assert waiting["transfer_date"] == "2026-04-01"
        assert waiting["eligibility_status"] == "confirmed"
        assert waiting["status"] == "awaiting_documents"
        assert waiting["blocking"] == ["transfer-date-not-reached"]
        # The engine was asked for 2026-03-12 (AsylbLG that day), then for its first day.
        asked = [
            decode(r.value).data.transfer_date for r in h.publisher.on_topic("handover.requested")
        ]
        assert asked == [date(2026, 3, 12), date(2026, 4, 1)]
        assert h.publisher.on_topic("case.transferred") == []

        fix_clock(monkeypatch, datetime(2026, 3, 31, 23, 0, tzinfo=UTC))
        assert await run_dated_transfers(h) == 0
        assert (await handover(h, started["id"]))["status"] == "awaiting_documents"

        fix_clock(monkeypatch, datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
        assert await run_dated_transfers(h) == 1
        await h.drain_outbox()
        [event] = [decode(r.value) for r in h.publisher.on_topic("case.transferred")]
        assert str(event.data.handover_id) == started["id"]
        assert event.data.to_org == JOBCENTER_MS
        assert event.data.responsible_from == date(2026, 4, 1)
        assert event.data.reason == "ASYLUM_RECOGNISED"

        actions = await audit_actions(h, case_id, JOBCENTER_MS)
        assert "case.asylum_decision_recorded" in actions
        assert "handover.transfer_date_set" in actions
        assert "handover.ineligible" not in actions
        assert actions.index("handover.transfer_date_set") < actions.index("handover.transferred")

    async def test_advances_a_preparing_handover_by_recording_the_trigger(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await refugee_case(h)
        prepared = await h.client.post(
            f"/v1/cases/{case_id}/handovers",
            json={"reason": "ASYLUM_RECOGNISED", "to_org": JOBCENTER_MS},
            headers=h.auth(AGENCY_MS),
        )
        assert prepared.status_code == 201, prepared.text
        assert prepared.json()["transfer_date_from_eligibility"] is True
        await bridge.settle()
        # Still under AsylbLG and no decision yet: it waits, it does not end.
        before = await handover(h, prepared.json()["id"])
        assert before["status"] == "preparing"
        assert before["blocking"] == ["eligibility-pending", "trigger-missing"]

        result = await record(h, case_id)

        assert result["outcome"] == "handover-advanced"
        assert result["handover"]["id"] == prepared.json()["id"]
        assert result["handover"]["trigger"]["type"] == "ASYLUM_DECISION_SERVED"
        await bridge.settle()
        after = await handover(h, prepared.json()["id"])
        assert (after["transfer_date"], after["status"]) == ("2026-04-01", "awaiting_documents")
        assert after["blocking"] == ["transfer-date-not-reached"]


class TestNothingStarts:
    async def test_a_negative_decision_starts_nothing(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await refugee_case(h)
        rejected = {"type": "ABGELEHNT", "decision_date": "2026-03-06", "served_date": "2026-03-10"}
        result = await record(h, case_id, rejected)
        assert (result["outcome"], result["handover"]) == ("not-positive", None)
        await bridge.settle()
        assert h.publisher.on_topic("handover.requested") == []
        [updated] = [decode(r.value) for r in h.publisher.on_topic("case.updated")]
        assert updated.data.facts.asylum_decision.type == "ABGELEHNT"

    async def test_without_a_competent_jobcenter_the_answer_says_so(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await refugee_case(h, municipality="Bielefeld")
        result = await record(h, case_id)
        assert (result["outcome"], result["handover"]) == ("no-competent-jobcenter", None)
        assert "kein Jobcenter" in result["outcome_text_de"]
        await bridge.settle()
        assert h.publisher.on_topic("handover.requested") == []

    async def test_the_decision_needs_the_cases_etag_and_its_owner(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await refugee_case(h)
        path = f"/v1/cases/{case_id}/asylum-decision"
        missing = await h.client.post(path, json=GRANTED, headers=h.auth(AGENCY_MS))
        assert missing.status_code == 428
        stale = await h.client.post(
            path, json=GRANTED, headers={**h.auth(AGENCY_MS), "If-Match": '"0"'}
        )
        assert stale.status_code == 412
        other = await h.client.post(
            path, json=GRANTED, headers={**h.auth("agentur-hagen"), "If-Match": "*"}
        )
        assert other.status_code == 404
        unknown = await h.client.post(
            path, json={**GRANTED, "reasons": "x"}, headers={**h.auth(AGENCY_MS), "If-Match": "*"}
        )
        assert unknown.status_code == 422
