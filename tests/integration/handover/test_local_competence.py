"""Local competence: a Jobcenter receives a case only for a municipality it serves."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.handover.conftest import AGENCY, JOBCENTER, OTHER, HandoverHarness
from tests.integration.handover.release import create_case

PROBLEM = "urn:handover-broker:problem:"


async def start(h: HandoverHarness, case_id: str, to_org: str, org: str = AGENCY) -> httpx.Response:
    return await h.client.post(
        f"/v1/cases/{case_id}/handovers",
        json={"reason": "ALG1_EXHAUSTED", "to_org": to_org, "transfer_date": "2026-05-01"},
        headers=h.auth(org),
    )


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


class TestWrongLocalJobcenter:
    async def test_a_witten_case_sent_to_muenster_names_the_competent_jobcenter(
        self, harness: HandoverHarness
    ) -> None:
        case_id = await create_case(harness, AGENCY, "Witten")
        response = await start(harness, case_id, OTHER)
        assert response.status_code == 422
        body = problem(response)
        assert body["type"] == PROBLEM + "wrong-local-jobcenter"
        assert body["competent_org"] == JOBCENTER
        assert JOBCENTER in body["detail"]
        await harness.drain_outbox()
        assert harness.publisher.on_topic("handover.requested") == []
        # Nothing was started: the competent Jobcenter can still receive the case.
        assert (await start(harness, case_id, JOBCENTER)).status_code == 201

    async def test_a_municipality_no_jobcenter_serves_says_none_is_known(
        self, harness: HandoverHarness
    ) -> None:
        case_id = await create_case(harness, AGENCY, "Bochum")
        body = problem(await start(harness, case_id, JOBCENTER))
        assert (body["status"], body["type"]) == (422, PROBLEM + "wrong-local-jobcenter")
        assert body["competent_org"] is None
        assert "no Jobcenter" in body["detail"]

    async def test_a_case_without_municipality_cannot_go_to_a_jobcenter(
        self, harness: HandoverHarness
    ) -> None:
        case_id = await create_case(harness, AGENCY, None)
        body = problem(await start(harness, case_id, JOBCENTER))
        assert (body["status"], body["type"]) == (422, PROBLEM + "municipality-unknown")
        assert "PATCH" in body["detail"]

    async def test_the_names_compare_without_case_and_spacing(
        self, harness: HandoverHarness
    ) -> None:
        case_id = await create_case(harness, AGENCY, "wetter  (ruhr)")
        assert (await start(harness, case_id, JOBCENTER)).status_code == 201


class TestCompetentTargets:
    async def test_muenster_case_goes_to_the_muenster_jobcenter(
        self, harness: HandoverHarness
    ) -> None:
        case_id = await create_case(harness, "agentur-ahlen-muenster", "Münster")
        response = await start(harness, case_id, OTHER, org="agentur-ahlen-muenster")
        assert response.status_code == 201, response.text

    async def test_an_agentur_as_receiver_is_not_checked_by_municipality(
        self, harness: HandoverHarness
    ) -> None:
        case_id = await create_case(harness, JOBCENTER, None)
        response = await harness.client.post(
            f"/v1/cases/{case_id}/handovers",
            json={"reason": "RETURN_TO_SGB3", "to_org": AGENCY},
            headers=harness.auth(JOBCENTER),
        )
        assert response.status_code == 201, response.text
