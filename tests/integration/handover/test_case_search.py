"""Finding cases on a real database: Kundennummer, derived status, pages, org scoping, audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handover_api.adapters.tables import AuditEntry
from handover_api.api.schemas import CASE_EXAMPLE
from tests.examples import with_fresh_kundennummer
from tests.integration.handover.conftest import AGENCY, JOBCENTER, OTHER, HandoverHarness
from tests.integration.handover.test_api import deliver_eligibility, start, upload_required


async def create_case(h: HandoverHarness, org: str = AGENCY, **overrides: Any) -> dict[str, Any]:
    body = {**with_fresh_kundennummer(CASE_EXAMPLE), **overrides}
    response = await h.client.post("/v1/cases", json=body, headers=h.auth(org))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def find(h: HandoverHarness, org: str, **params: Any) -> dict[str, Any]:
    response = await h.client.get("/v1/cases", params=params, headers=h.auth(org))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


async def audit_entries(h: HandoverHarness, action: str) -> list[AuditEntry]:
    await h.seal_audit()
    async with h.app.state.runtime.sessions() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.all())


class TestFindByKundennummer:
    """The Kundennummer filter is an exact match inside the caller's cases."""

    async def test_finds_the_one_case_with_the_number(self, harness: HandoverHarness) -> None:
        h = harness
        wanted = await create_case(h)
        await create_case(h)

        page = await find(h, AGENCY, kundennummer=wanted["kundennummer"])

        assert ids(page) == [wanted["id"]]
        assert page["items"][0]["status"] == "active"
        assert page["items"][0]["person"]["family_name"] == "Mustermann"
        assert page["next_cursor"] is None

    async def test_no_prefix_or_case_insensitive_match(self, harness: HandoverHarness) -> None:
        h = harness
        await create_case(h, kundennummer="123A456789")

        assert ids(await find(h, AGENCY, kundennummer="123A456788")) == []
        lower = await h.client.get(
            "/v1/cases", params={"kundennummer": "123a456789"}, headers=h.auth(AGENCY)
        )
        assert lower.status_code == 422
        prefix = await h.client.get(
            "/v1/cases", params={"kundennummer": "123A45"}, headers=h.auth(AGENCY)
        )
        assert prefix.status_code == 422

    async def test_another_organisation_finds_nothing(self, harness: HandoverHarness) -> None:
        h = harness
        case = await create_case(h)

        assert ids(await find(h, OTHER, kundennummer=case["kundennummer"])) == []
        assert ids(await find(h, OTHER)) == []
        assert ids(await find(h, JOBCENTER)) == []

    async def test_a_list_read_is_audited_per_case_without_the_number(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case = await create_case(h)
        await create_case(h)

        await find(h, AGENCY, kundennummer=case["kundennummer"])

        entries = await audit_entries(h, "case.listed")
        assert [str(e.case_id) for e in entries] == [case["id"]]
        assert entries[0].details == {"status": None, "by_kundennummer": True}
        assert entries[0].actor_org == AGENCY
        assert case["kundennummer"] not in repr([e.details for e in entries])

    async def test_needs_cases_read(self, harness: HandoverHarness) -> None:
        h = harness
        response = await h.client.get("/v1/cases", headers=h.auth(AGENCY, ["handovers:read"]))
        assert response.status_code == 403


class TestStatus:
    """`active`, `handover_pending`, `transferred`: derived from the active handover."""

    async def test_each_status_lists_its_cases(self, harness: HandoverHarness) -> None:
        h = harness
        idle = await create_case(h)
        pending = await create_case(h)
        await start(h, pending["id"], trigger=False)
        moving = await create_case(h)
        await upload_required(h, moving["id"])
        handover = await start(h, moving["id"])
        await deliver_eligibility(h, handover)

        assert ids(await find(h, AGENCY, status="active")) == [idle["id"]]
        assert ids(await find(h, AGENCY, status="handover_pending")) == [pending["id"]]
        # The transferred case left the Agentur; the Jobcenter it was handed to finds it.
        assert ids(await find(h, AGENCY, status="transferred")) == []
        assert sorted(ids(await find(h, AGENCY))) == sorted([idle["id"], pending["id"]])
        received = await find(h, JOBCENTER, kundennummer=moving["kundennummer"])
        assert ids(received) == [moving["id"]]
        assert received["items"][0]["status"] == "transferred"
        assert ids(await find(h, JOBCENTER, status="transferred")) == [moving["id"]]
        assert ids(await find(h, JOBCENTER, status="active")) == []
        assert ids(await find(h, OTHER, status="transferred")) == []

    async def test_an_accepted_handover_keeps_the_case_transferred(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case = await create_case(h)
        await upload_required(h, case["id"])
        handover = await start(h, case["id"])
        await deliver_eligibility(h, handover)
        accepted = await h.client.post(
            f"/v1/handovers/{handover['id']}/accept", headers=h.auth(JOBCENTER)
        )
        assert accepted.status_code == 200, accepted.text

        listed = (await find(h, JOBCENTER))["items"]
        assert [(c["id"], c["status"]) for c in listed] == [(case["id"], "transferred")]

    async def test_unknown_status_is_refused(self, harness: HandoverHarness) -> None:
        h = harness
        response = await h.client.get(
            "/v1/cases", params={"status": "lost"}, headers=h.auth(AGENCY)
        )
        assert response.status_code == 422
        assert response.json()["type"].endswith("validation-error")


class TestPages:
    """Cursor pagination by id, as every list does."""

    async def test_pages_cover_every_case_once(self, harness: HandoverHarness) -> None:
        h = harness
        created = {(await create_case(h))["id"] for _ in range(5)}

        seen: list[str] = []
        cursor: str | None = None
        for _ in range(5):
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = await find(h, AGENCY, **params)
            seen.extend(ids(page))
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(created)
        assert len(seen) == 5

    async def test_a_foreign_cursor_is_refused(self, harness: HandoverHarness) -> None:
        h = harness
        response = await h.client.get(
            "/v1/cases", params={"cursor": "not-a-cursor"}, headers=h.auth(AGENCY)
        )
        assert response.status_code == 400
        assert response.json()["type"].endswith("invalid-cursor")
