"""Stable goal and measure ids across plan edits and the handover; a measure exists once."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from handover_api.api.schemas import CASE_EXAMPLE
from shared.events.envelope import Envelope
from shared.events.handover import CaseTransferredV1
from shared.events.registry import decode
from tests.examples import with_fresh_kundennummer
from tests.integration.handover.conftest import AGENCY, JOBCENTER, HandoverHarness
from tests.integration.handover.test_api import deliver_eligibility, start, upload_required

BVB = {
    "type": "BVB",
    "start_date": "2026-09-01",
    "end_date": "2027-06-30",
    "cost_bearer": "AGENTUR",
}


async def create_case(h: HandoverHarness) -> dict[str, Any]:
    response = await h.client.post(
        "/v1/cases", json=with_fresh_kundennummer(CASE_EXAMPLE), headers=h.auth(AGENCY)
    )
    assert response.status_code == 201, response.text
    return {**response.json(), "etag": response.headers["ETag"]}


async def edit_plan(
    h: HandoverHarness, case: dict[str, Any], plan: dict[str, Any]
) -> httpx.Response:
    response = await h.client.patch(
        f"/v1/cases/{case['id']}",
        json={"integration_plan": plan},
        headers={**h.auth(AGENCY), "If-Match": case["etag"]},
    )
    if response.status_code == 200:
        case["etag"] = response.headers["ETag"]
    return response


def kept(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan as a caller sends it back, every goal and measure naming its id."""
    sent = copy.deepcopy(plan)
    for key in ("plan_id", "version"):
        sent.pop(key)
    for part in sent["goals"] + sent["measures"]:
        for field in [k for k, v in part.items() if v is None]:
            part.pop(field)
    return sent


class TestStableIds:
    """A goal or measure sent with its id keeps it; one without an id is new."""

    async def test_kept_items_keep_their_ids_and_new_ones_get_fresh_ids(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case = await create_case(h)
        first = case["integration_plan"]
        plan = kept(first)
        plan["measures"].append(BVB)
        plan["goals"].append({"code": "B1_DEUTSCH"})

        response = await edit_plan(h, case, plan)

        assert response.status_code == 200, response.text
        second = response.json()["integration_plan"]
        assert second["plan_id"] == first["plan_id"]
        assert second["version"] == 2
        old_measure, new_measure = second["measures"]
        assert old_measure["measure_id"] == first["measures"][0]["measure_id"]
        assert new_measure["type"] == "BVB"
        assert new_measure["measure_id"] != old_measure["measure_id"]
        assert second["goals"][0]["goal_id"] == first["goals"][0]["goal_id"]
        assert second["goals"][1]["goal_id"] != first["goals"][0]["goal_id"]

    async def test_a_kept_measure_may_change_its_dates(self, harness: HandoverHarness) -> None:
        h = harness
        case = await create_case(h)
        plan = kept(case["integration_plan"])
        plan["measures"][0]["end_date"] = "2026-10-31"
        plan["measures"][0]["status"] = "APPROVED"

        response = await edit_plan(h, case, plan)

        measure = response.json()["integration_plan"]["measures"][0]
        assert measure["measure_id"] == case["integration_plan"]["measures"][0]["measure_id"]
        assert (measure["end_date"], measure["status"]) == ("2026-10-31", "APPROVED")

    async def test_a_dropped_measure_is_gone_and_its_id_cannot_come_back(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case = await create_case(h)
        dropped = kept(case["integration_plan"])
        without = {**dropped, "measures": []}
        assert (await edit_plan(h, case, without)).status_code == 200

        revived = await edit_plan(h, case, dropped)

        assert revived.status_code == 422
        assert revived.json()["type"].endswith("unknown-plan-item")

    async def test_an_id_from_another_case_is_refused(self, harness: HandoverHarness) -> None:
        h = harness
        case, other = await create_case(h), await create_case(h)
        plan = kept(case["integration_plan"])
        plan["measures"][0]["measure_id"] = other["integration_plan"]["measures"][0]["measure_id"]

        response = await edit_plan(h, case, plan)

        assert response.status_code == 422
        assert response.json()["type"].endswith("unknown-plan-item")

    async def test_ids_on_a_new_case_are_refused(self, harness: HandoverHarness) -> None:
        h = harness
        body = with_fresh_kundennummer(CASE_EXAMPLE)
        body["integration_plan"] = copy.deepcopy(CASE_EXAMPLE["integration_plan"])
        body["integration_plan"]["measures"][0]["measure_id"] = (
            "8a0d3c55-0f43-4b35-9a31-2b8f7d3c1e11"
        )
        response = await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
        assert response.status_code == 422
        assert response.json()["type"].endswith("unknown-plan-item")


class TestDuplicateMeasure:
    """One measure exists once: same type and cost bearer with overlapping periods is 409."""

    async def test_a_new_measure_overlapping_a_kept_one_names_the_kept_one(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case = await create_case(h)
        existing = case["integration_plan"]["measures"][0]
        plan = kept(case["integration_plan"])
        plan["measures"].insert(
            0,
            {
                "type": existing["type"],
                "start_date": "2026-08-01",
                "end_date": "2026-12-31",
                "cost_bearer": existing["cost_bearer"],
            },
        )

        response = await edit_plan(h, case, plan)

        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == "urn:handover-broker:problem:duplicate-measure"
        assert existing["measure_id"] in problem["detail"]
        unchanged = await h.client.get(f"/v1/cases/{case['id']}", headers=h.auth(AGENCY))
        assert unchanged.json()["integration_plan"]["version"] == 1

    async def test_two_new_bvb_in_one_plan_are_refused(self, harness: HandoverHarness) -> None:
        h = harness
        body = with_fresh_kundennummer(CASE_EXAMPLE)
        body["integration_plan"] = {
            "plan_type": "FOERDERPLAN",
            "measures": [BVB, {**BVB, "start_date": "2027-01-01", "end_date": None}],
        }
        response = await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
        assert response.status_code == 409
        assert response.json()["type"].endswith("duplicate-measure")

    async def test_other_bearer_or_later_period_is_no_duplicate(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case = await create_case(h)
        plan = kept(case["integration_plan"])
        existing = case["integration_plan"]["measures"][0]
        plan["measures"] += [
            {**BVB, "type": existing["type"], "cost_bearer": "JOBCENTER"},
            {
                "type": existing["type"],
                "start_date": "2026-09-01",  # the day after the existing one ends
                "cost_bearer": existing["cost_bearer"],
            },
        ]
        response = await edit_plan(h, case, plan)
        assert response.status_code == 200, response.text
        assert len(response.json()["integration_plan"]["measures"]) == 3


class TestIdsAcrossTheHandover:
    """case.transferred carries the ids the plan has, so the receiver follows each measure."""

    async def test_the_transferred_plan_has_the_ids_of_the_edited_plan(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case = await create_case(h)
        plan = kept(case["integration_plan"])
        plan["measures"].append(BVB)
        edited = (await edit_plan(h, case, plan)).json()["integration_plan"]
        await upload_required(h, case["id"])
        handover = await start(h, case["id"])
        await deliver_eligibility(h, handover)
        await h.drain_outbox()

        events = [decode(r.value) for r in h.publisher.on_topic("case.transferred")]
        assert len(events) == 1
        event: Envelope[CaseTransferredV1] = events[0]
        carried = event.data.integration_plan
        assert carried is not None
        assert [str(m.measure_id) for m in carried.measures] == [
            m["measure_id"] for m in edited["measures"]
        ]
        assert [str(g.goal_id) for g in carried.goals] == [g["goal_id"] for g in edited["goals"]]
        assert str(carried.plan_id) == edited["plan_id"]
        received = await h.client.get(f"/v1/cases/{case['id']}", headers=h.auth(JOBCENTER))
        assert received.json()["integration_plan"]["measures"] == edited["measures"]
