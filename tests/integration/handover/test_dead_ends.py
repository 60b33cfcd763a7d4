"""Never a dead end: every blocking cause named, ineligible re-decided, cancel before transfer.

handover_api on a real PostgreSQL; eligibility_api's rule engine answers its events on a
fixed day (2026-03-12) through the service's own consumer handler.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from handover_api.api.schemas import CASE_EXAMPLE
from handover_api.domain.documents import REQUIRED_DOCUMENTS, HandoverReason
from shared.events.registry import decode
from tests.integration.handover.conftest import AGENCY, JOBCENTER, HandoverHarness
from tests.integration.handover.engine_bridge import EngineBridge, fix_clock
from tests.integration.handover.test_api import create_case, handover_of, upload_required

NOW = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
ALG1_REQUIRED = sorted(d.value for d in REQUIRED_DOCUMENTS[HandoverReason.ALG1_EXHAUSTED])
# Erwerbsfähig, German, but stated not hilfebedürftig: the engine keeps the person with the
# Agentur (AGENTUR_JOB_SEEKER), so a handover to the Jobcenter is not eligible.
NOT_NEEDY: dict[str, Any] = {
    "birth_date": "1971-01-15",
    "nationality": "GERMAN",
    "erwerbsfaehig": True,
    "hilfebeduerftig": False,
    "habitual_residence_de": True,
}


@pytest.fixture
def bridge(harness: HandoverHarness, monkeypatch: pytest.MonkeyPatch) -> EngineBridge:
    fix_clock(monkeypatch, NOW)
    return EngineBridge(harness, NOW.date())


async def start(h: HandoverHarness, case_id: str, trigger: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": "ALG1_EXHAUSTED", "to_org": JOBCENTER}
    if trigger:
        body["trigger"] = {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-03-11"}
    response = await h.client.post(
        f"/v1/cases/{case_id}/handovers", json=body, headers=h.auth(AGENCY)
    )
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


async def needy_case(h: HandoverHarness, needy: bool) -> str:
    facts = {**NOT_NEEDY, "hilfebeduerftig": needy}
    return await create_case(h, {**CASE_EXAMPLE, "kundennummer": None, "facts": facts})


async def fix_facts(h: HandoverHarness, case_id: str) -> None:
    """PATCH the case: the person is hilfebedürftig after all."""
    case = await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))
    patched = await h.client.patch(
        f"/v1/cases/{case_id}",
        json={"facts": {**NOT_NEEDY, "hilfebeduerftig": True}},
        headers={**h.auth(AGENCY), "If-Match": case.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.text


def codes(handover: dict[str, Any]) -> list[str]:
    return [c["code"] for c in handover["blocking_causes"]]


class TestBlockingCauses:
    async def test_every_cause_is_named_with_a_german_text(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await needy_case(h, needy=True)
        started = await start(h, case_id, trigger=False)

        assert started["status"] == "preparing"
        assert started["blocking"] == [
            "eligibility-pending",
            "trigger-missing",
            "documents-missing",
        ]
        assert codes(started) == started["blocking"]
        pending, trigger, documents = started["blocking_causes"]
        assert pending["text_de"] == "Die Prüfung der Zuständigkeit steht noch aus."
        assert trigger["text_de"].startswith("Der rechtliche Auslöser")
        assert documents["document_types"] == ALG1_REQUIRED
        assert (
            documents["text_de"] == "Es fehlen Pflichtunterlagen: " + ", ".join(ALG1_REQUIRED) + "."
        )
        listed = await h.client.get("/v1/handovers?direction=outgoing", headers=h.auth(AGENCY))
        [item] = [i for i in listed.json()["items"] if i["id"] == started["id"]]
        assert item["blocking_causes"] == started["blocking_causes"]

        # The receiver does not see it yet; the source trying a receiver's step is told why.
        unseen = await h.client.post(
            f"/v1/handovers/{started['id']}/accept", headers=h.auth(JOBCENTER)
        )
        assert unseen.status_code == 404
        refused = await h.client.post(
            f"/v1/handovers/{started['id']}/accept", headers=h.auth(AGENCY)
        )
        assert refused.status_code == 409
        problem = refused.json()
        assert problem["type"].endswith(":handover-not-transferred")
        for code in started["blocking"]:
            assert f"[{code}]" in problem["detail"]

        await bridge.settle()
        read = (await handover_of(h, started["id"], AGENCY)).json()
        assert read["eligibility_status"] == "confirmed"
        assert read["blocking"] == ["trigger-missing", "documents-missing"]

    async def test_not_eligible_names_the_engines_reasons(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await needy_case(h, needy=False)
        started = await start(h, case_id, trigger=False)
        await bridge.settle()

        read = (await handover_of(h, started["id"], AGENCY)).json()
        assert read["status"] == "ineligible"
        assert read["blocking"] == ["not-eligible", "trigger-missing", "documents-missing"]
        not_eligible = read["blocking_causes"][0]
        reason_codes = [r["code"] for r in not_eligible["reasons"]]
        assert "AGENTUR_JOB_SEEKER" in reason_codes
        job_seeker = next(r for r in not_eligible["reasons"] if r["code"] == "AGENTUR_JOB_SEEKER")
        assert job_seeker["text_de"] in not_eligible["text_de"]
        assert not_eligible["text_de"].startswith("Die Zielorganisation ist")


class TestReDecision:
    async def test_fixed_facts_re_decide_and_the_handover_transfers_by_itself(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await needy_case(h, needy=False)
        await upload_required(h, case_id)
        started = await start(h, case_id, trigger=True)
        await bridge.settle()
        assert (await handover_of(h, started["id"], AGENCY)).json()["status"] == "ineligible"

        await fix_facts(h, case_id)
        await bridge.settle()

        read = (await handover_of(h, started["id"], AGENCY)).json()
        assert read["status"] == "transferred"
        assert read["eligibility"]["legal_domain"] == "SGB_II"
        assert read["blocking"] == []
        transferred = [decode(r.value) for r in h.publisher.on_topic("case.transferred")]
        assert len(transferred) == 1
        assert str(transferred[0].data.handover_id) == started["id"]
        audit = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(JOBCENTER))
        actions = [e["action"] for e in audit.json()["items"]]
        assert actions.index("handover.ineligible") < actions.index("handover.redecided")
        assert actions.index("handover.redecided") < actions.index("handover.transferred")

    async def test_a_pending_handover_is_decided_and_keeps_naming_what_is_left(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await needy_case(h, needy=True)
        await upload_required(h, case_id)
        started = await start(h, case_id, trigger=False)
        await bridge.settle()
        read = (await handover_of(h, started["id"], AGENCY)).json()
        assert (read["status"], read["blocking"]) == ("preparing", ["trigger-missing"])


class TestCancel:
    @pytest.mark.parametrize("status", ["preparing", "awaiting_documents", "ineligible"])
    async def test_cancel_works_in_every_state_before_the_transfer(
        self, harness: HandoverHarness, bridge: EngineBridge, status: str
    ) -> None:
        h = harness
        case_id = await needy_case(h, needy=status != "ineligible")
        started = await start(h, case_id, trigger=status == "awaiting_documents")
        if status == "ineligible":
            await bridge.settle()
        read = await handover_of(h, started["id"], AGENCY)
        assert read.json()["status"] == status
        cancelled = await h.client.post(
            f"/v1/handovers/{started['id']}/cancel",
            json={"reason_code": "JOB_FOUND"},
            headers={**h.auth(AGENCY), "If-Match": read.headers["ETag"]},
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["blocking"] == []
        # The case is free again.
        await start(h, case_id, trigger=False)

    async def test_a_cancelled_ineligible_handover_is_not_revived(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await needy_case(h, needy=False)
        started = await start(h, case_id, trigger=True)
        await bridge.settle()
        await h.client.post(
            f"/v1/handovers/{started['id']}/cancel",
            json={"reason_code": "ENTERED_IN_ERROR"},
            headers=h.auth(AGENCY),
        )
        await fix_facts(h, case_id)
        await bridge.settle()
        assert (await handover_of(h, started["id"], AGENCY)).json()["status"] == "cancelled"

    async def test_cancel_after_the_transfer_is_refused_with_its_own_problem_type(
        self, harness: HandoverHarness, bridge: EngineBridge
    ) -> None:
        h = harness
        case_id = await needy_case(h, needy=True)
        await upload_required(h, case_id)
        started = await start(h, case_id, trigger=True)
        await bridge.settle()
        assert (await handover_of(h, started["id"], AGENCY)).json()["status"] == "transferred"
        late = await h.client.post(
            f"/v1/handovers/{started['id']}/cancel",
            json={"reason_code": "JOB_FOUND"},
            headers=h.auth(AGENCY),
        )
        assert late.status_code == 409
        assert late.json()["type"].endswith(":handover-already-transferred")
        assert JOBCENTER in late.json()["detail"]
