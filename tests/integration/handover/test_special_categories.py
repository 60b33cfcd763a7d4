"""Special categories (Art. 9 GDPR, § 76 SGB X): released only with a legal basis or consent."""

from __future__ import annotations

from typing import Any

from handover_api.domain.documents import REQUIRED_DOCUMENTS, HandoverReason
from tests.integration.handover.conftest import AGENCY, JOBCENTER, OTHER, HandoverHarness
from tests.integration.handover.release import (
    create_case,
    deliver_eligibility,
    transferred_events,
    upload,
)

LEGAL_BASIS = "§ 69 Abs. 1 Nr. 1 SGB X i. V. m. § 76 Abs. 2 Nr. 1 SGB X"
CONSENT = {
    "given_by": "PERSON",
    "given_at": "2026-04-02T09:30:00Z",
    "scope": "Weitergabe des Gutachtens an das Jobcenter zur Eingliederung",
}


async def start(h: HandoverHarness, case_id: str, reason: HandoverReason) -> dict[str, Any]:
    response = await h.client.post(
        f"/v1/cases/{case_id}/handovers",
        json={
            "reason": reason.value,
            "to_org": JOBCENTER,
            "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
        },
        headers=h.auth(AGENCY),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload_required(
    h: HandoverHarness, case_id: str, reason: HandoverReason, skip: set[str]
) -> list[dict[str, Any]]:
    return [
        await upload(h, AGENCY, case_id, t.value)
        for t in sorted(REQUIRED_DOCUMENTS[reason])
        if t.value not in skip
    ]


async def read(h: HandoverHarness, org: str, path: str) -> int:
    return (await h.client.get(path, headers=h.auth(org))).status_code


class TestWithheldDocuments:
    async def test_special_documents_without_release_stay_with_the_source(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h, AGENCY)
        ordinary = await upload_required(h, case_id, HandoverReason.ALG1_EXHAUSTED, set())
        report = await upload(h, AGENCY, case_id, "MEDICAL_PSYCHOLOGICAL_REPORT")
        disability = await upload(h, AGENCY, case_id, "SEVERE_DISABILITY_PROOF")
        marked = await upload(h, AGENCY, case_id, "OTHER", special=True)
        based = await upload(h, AGENCY, case_id, "YOUTH_WELFARE_INFO", legal_basis=LEGAL_BASIS)
        assert [d["special_category"] for d in (report, disability, marked, based)] == [True] * 4
        # The source sees its own documents, withheld or not.
        listed = await h.client.get(f"/v1/cases/{case_id}/documents", headers=h.auth(AGENCY))
        assert len(listed.json()["items"]) == len(ordinary) + 4

        handover = await start(h, case_id, HandoverReason.ALG1_EXHAUSTED)
        await deliver_eligibility(h, handover, "SGB_II")
        after = await h.client.get(f"/v1/handovers/{handover['id']}", headers=h.auth(JOBCENTER))
        assert after.json()["status"] == "transferred"

        listed = await h.client.get(f"/v1/cases/{case_id}/documents", headers=h.auth(JOBCENTER))
        visible = {d["id"] for d in listed.json()["items"]}
        assert visible == {d["id"] for d in ordinary} | {based["id"]}
        for withheld in (report, disability, marked):
            assert await read(h, JOBCENTER, f"/v1/documents/{withheld['id']}") == 404
            assert await read(h, JOBCENTER, f"/v1/documents/{withheld['id']}/content") == 404
        assert await read(h, JOBCENTER, f"/v1/documents/{based['id']}/content") == 200

        await h.drain_outbox()
        [event] = transferred_events(h, handover["id"])
        assert event.withheld_documents == (
            "MEDICAL_PSYCHOLOGICAL_REPORT",
            "OTHER",
            "SEVERE_DISABILITY_PROOF",
        )
        sent = {str(d.document_id) for d in event.documents}
        assert sent == visible
        manifest = after.json()["manifest"]
        assert manifest["withheld_documents"] == list(event.withheld_documents)

    async def test_the_receiver_cannot_release_what_was_withheld_from_it(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h, AGENCY)
        await upload_required(h, case_id, HandoverReason.ALG1_EXHAUSTED, set())
        report = await upload(h, AGENCY, case_id, "MEDICAL_PSYCHOLOGICAL_REPORT")
        handover = await start(h, case_id, HandoverReason.ALG1_EXHAUSTED)
        await deliver_eligibility(h, handover, "SGB_II")
        for org in (JOBCENTER, AGENCY, OTHER):
            response = await h.client.post(
                f"/v1/documents/{report['id']}/release",
                json={"legal_basis": LEGAL_BASIS},
                headers=h.auth(org),
            )
            assert response.status_code == 404, org


class TestMandatorySpecialDocument:
    async def test_to_sgb12_waits_for_the_release_of_the_medical_report(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        reason = HandoverReason.TO_SGB12
        case_id = await create_case(h, AGENCY)
        await upload_required(h, case_id, reason, {"MEDICAL_PSYCHOLOGICAL_REPORT"})
        report = await upload(h, AGENCY, case_id, "MEDICAL_PSYCHOLOGICAL_REPORT")
        handover = await start(h, case_id, reason)
        await deliver_eligibility(h, handover, "SGB_II")
        path = f"/v1/handovers/{handover['id']}"
        waiting = (await h.client.get(path, headers=h.auth(AGENCY))).json()
        assert waiting["status"] == "awaiting_documents"
        assert waiting["blocking"] == ["special-document-not-released"]
        assert waiting["missing_documents"] == []
        assert await read(h, JOBCENTER, path) == 404

        neither = await h.client.post(
            f"/v1/documents/{report['id']}/release", json={}, headers=h.auth(AGENCY)
        )
        assert neither.status_code == 422
        released = await h.client.post(
            f"/v1/documents/{report['id']}/release",
            json={"consent": CONSENT},
            headers=h.auth(AGENCY),
        )
        assert released.status_code == 200, released.text
        assert released.json()["release"]["consent"]["given_by"] == "PERSON"
        assert released.json()["release"]["released_by_org"] == AGENCY

        # The release was the last condition: the case transferred with the report.
        assert (await h.client.get(path, headers=h.auth(JOBCENTER))).json()["status"] == (
            "transferred"
        )
        assert await read(h, JOBCENTER, f"/v1/documents/{report['id']}/content") == 200
        await h.drain_outbox()
        [event] = transferred_events(h, handover["id"])
        assert event.withheld_documents == ()
        assert str(report["id"]) in {str(d.document_id) for d in event.documents}
        audit = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(JOBCENTER))
        actions = [e["action"] for e in audit.json()["items"]]
        assert "document.released" in actions

    async def test_a_waiver_also_unblocks_and_the_report_stays_behind(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        reason = HandoverReason.TO_SGB12
        case_id = await create_case(h, AGENCY)
        await upload_required(h, case_id, reason, {"MEDICAL_PSYCHOLOGICAL_REPORT"})
        report = await upload(h, AGENCY, case_id, "MEDICAL_PSYCHOLOGICAL_REPORT")
        handover = await start(h, case_id, reason)
        await deliver_eligibility(h, handover, "SGB_II")
        waived = await h.client.post(
            f"/v1/handovers/{handover['id']}/waivers",
            json={
                "document_type": "MEDICAL_PSYCHOLOGICAL_REPORT",
                "reason": "Keine Einwilligung; Gutachten wird beim Träger neu erstellt",
            },
            headers=h.auth(AGENCY),
        )
        assert waived.status_code == 200, waived.text
        assert waived.json()["status"] == "transferred"
        assert await read(h, JOBCENTER, f"/v1/documents/{report['id']}") == 404
        await h.drain_outbox()
        [event] = transferred_events(h, handover["id"])
        assert event.withheld_documents == ("MEDICAL_PSYCHOLOGICAL_REPORT",)

    async def test_a_second_release_is_refused(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h, AGENCY)
        report = await upload(h, AGENCY, case_id, "SEVERE_DISABILITY_PROOF")
        url = f"/v1/documents/{report['id']}/release"
        first = await h.client.post(url, json={"legal_basis": LEGAL_BASIS}, headers=h.auth(AGENCY))
        assert first.status_code == 200, first.text
        again = await h.client.post(url, json={"legal_basis": LEGAL_BASIS}, headers=h.auth(AGENCY))
        assert again.status_code == 409
        ordinary = await upload(h, AGENCY, case_id, "CV_CERTIFICATES")
        not_special = await h.client.post(
            f"/v1/documents/{ordinary['id']}/release",
            json={"legal_basis": LEGAL_BASIS},
            headers=h.auth(AGENCY),
        )
        assert not_special.status_code == 422


class TestDocumentedExamples:
    async def test_each_documented_release_example_releases_a_document(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        spec = (await h.client.get("/openapi.json")).json()
        body = spec["paths"]["/v1/documents/{document_id}/release"]["post"]["requestBody"]
        ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        examples = spec["components"]["schemas"][ref]["examples"]
        assert len(examples) == 2
        case_id = await create_case(h, AGENCY)
        for example in examples:
            report = await upload(h, AGENCY, case_id, "MEDICAL_PSYCHOLOGICAL_REPORT")
            response = await h.client.post(
                f"/v1/documents/{report['id']}/release", json=example, headers=h.auth(AGENCY)
            )
            assert response.status_code == 200, response.text
