"""The service read of contact data (scope `contact:read`) and the required documents."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from handover_api.adapters.tables import AuditEntry
from handover_api.api.schemas import CASE_EXAMPLE
from handover_api.domain.documents import REQUIRED_DOCUMENTS, SPECIAL_CATEGORY, HandoverReason
from tests.examples import with_fresh_kundennummer
from tests.integration.handover.conftest import AGENCY, JOBCENTER, OTHER, HandoverHarness

SERVICE = "service:notifications_api"
ADDRESS = {"street": "Ruhrstraße 12", "postal_code": "58452", "town": "Witten"}
PERSON = {
    "given_name": "Jürgen",
    "family_name": "Müller-Lüdenscheidt",
    "email": "juergen.mueller@example.org",
    "phone": "+49 2302 123456",
    "address": ADDRESS,
}


def service_auth(h: HandoverHarness, org: str = "handover-broker") -> dict[str, str]:
    token = h.issuer.token(org, ["contact:read"], subject=SERVICE)
    return {"Authorization": f"Bearer {token}"}


async def create_case(h: HandoverHarness, person: dict[str, Any] = PERSON) -> str:
    body = {**with_fresh_kundennummer(CASE_EXAMPLE), "person": person}
    response = await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


async def contact_reads(h: HandoverHarness) -> list[AuditEntry]:
    await h.seal_audit()
    async with h.app.state.runtime.sessions() as session:
        stmt = select(AuditEntry).where(AuditEntry.action == "case.contact_read")
        return list((await session.scalars(stmt)).all())


class TestContactRead:
    """A service client reads any organisation's case for a stated purpose; audited."""

    async def test_answers_name_email_phone_and_address(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)

        response = await h.client.get(
            f"/v1/cases/{case_id}/contact", params={"purpose": "notice"}, headers=service_auth(h)
        )

        assert response.status_code == 200, response.text
        assert response.json() == {"case_id": case_id, "purpose": "notice", **PERSON}

    async def test_the_read_is_audited_with_purpose_and_service(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        await h.client.get(
            f"/v1/cases/{case_id}/contact", params={"purpose": "notice"}, headers=service_auth(h)
        )

        (entry,) = await contact_reads(h)
        assert str(entry.case_id) == case_id
        assert entry.actor_subject == SERVICE
        assert entry.details == {"contact_purpose": "notice"}
        trail = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(AGENCY))
        assert "case.contact_read" in [e["action"] for e in trail.json()["items"]]

    async def test_a_case_without_address_answers_null(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h, {"given_name": "Erika", "family_name": "Mustermann"})
        response = await h.client.get(
            f"/v1/cases/{case_id}/contact",
            params={"purpose": "consultation"},
            headers=service_auth(h, OTHER),
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["address"], body["email"], body["phone"]) == (None, None, None)

    async def test_integration_clients_lack_the_scope(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        for org in (AGENCY, JOBCENTER):
            response = await h.client.get(
                f"/v1/cases/{case_id}/contact", params={"purpose": "notice"}, headers=h.auth(org)
            )
            assert response.status_code == 403
            assert response.json()["type"].endswith("forbidden")
        assert await contact_reads(h) == []

    async def test_purpose_is_required_and_from_the_list(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        path = f"/v1/cases/{case_id}/contact"
        missing = await h.client.get(path, headers=service_auth(h))
        other = await h.client.get(path, params={"purpose": "marketing"}, headers=service_auth(h))
        assert (missing.status_code, other.status_code) == (422, 422)
        assert await contact_reads(h) == []

    async def test_an_unknown_case_is_404(self, harness: HandoverHarness) -> None:
        h = harness
        response = await h.client.get(
            f"/v1/cases/{uuid.uuid4()}/contact",
            params={"purpose": "notice"},
            headers=service_auth(h),
        )
        assert response.status_code == 404

    async def test_the_address_is_stored_with_the_case(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        read = await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))
        assert read.json()["person"]["address"] == ADDRESS
        assert (
            await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(OTHER))
        ).status_code == 404

    async def test_an_invalid_postal_code_is_refused(self, harness: HandoverHarness) -> None:
        h = harness
        body = {
            **with_fresh_kundennummer(CASE_EXAMPLE),
            "person": {**PERSON, "address": {**ADDRESS, "postal_code": "5845"}},
        }
        response = await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
        assert response.status_code == 422


class TestRequiredDocuments:
    """`GET /v1/required-documents` reads the table of domain/documents.py."""

    async def test_one_reason(self, harness: HandoverHarness) -> None:
        h = harness
        response = await h.client.get(
            "/v1/required-documents", params={"reason": "ALG1_EXHAUSTED"}, headers=h.auth(OTHER)
        )

        assert response.status_code == 200
        (reason,) = response.json()["items"]
        assert reason["reason"] == "ALG1_EXHAUSTED"
        assert reason["label"] == "Arbeitslosengeld erschöpft"
        mandatory = [d["type"] for d in reason["documents"] if d["mandatory"]]
        assert set(mandatory) == set(REQUIRED_DOCUMENTS[HandoverReason.ALG1_EXHAUSTED])
        # Mandatory ones first.
        assert [d["mandatory"] for d in reason["documents"]] == sorted(
            (d["mandatory"] for d in reason["documents"]), reverse=True
        )
        by_type = {d["type"]: d for d in reason["documents"]}
        assert by_type["INFO_SESSION_ATTENDANCE"]["label"] == (
            "Nachweis über die Teilnahme an der Informationsveranstaltung"
        )
        assert by_type["MEDICAL_PSYCHOLOGICAL_REPORT"]["special_category"] is True
        assert by_type["MEDICAL_PSYCHOLOGICAL_REPORT"]["mandatory"] is False
        assert {t for t, d in by_type.items() if d["special_category"]} == set(SPECIAL_CATEGORY)

    async def test_every_reason_without_a_filter(self, harness: HandoverHarness) -> None:
        h = harness
        response = await h.client.get("/v1/required-documents", headers=h.auth(AGENCY))
        items = response.json()["items"]
        assert [i["reason"] for i in items] == [r.value for r in HandoverReason]
        for item in items:
            # Every type has a German label of its own, not its code.
            assert all(d["label"] != d["type"] for d in item["documents"]), item["reason"]

    async def test_an_unknown_reason_is_refused(self, harness: HandoverHarness) -> None:
        h = harness
        response = await h.client.get(
            "/v1/required-documents", params={"reason": "HOLIDAY"}, headers=h.auth(AGENCY)
        )
        assert response.status_code == 422

    async def test_needs_a_token(self, harness: HandoverHarness) -> None:
        assert (await harness.client.get("/v1/required-documents")).status_code == 401
