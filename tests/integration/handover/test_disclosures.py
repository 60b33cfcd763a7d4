"""The person's right of access (Art. 15 GDPR, § 83 SGB X): disclosures as data and as a letter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handover_api.domain.documents import REQUIRED_DOCUMENTS, HandoverReason
from tests.integration.handover.conftest import AGENCY, JOBCENTER, OTHER, HandoverHarness
from tests.integration.handover.release import create_case, deliver_eligibility, upload
from tests.pdf import page_text

TRIGGER = {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"}


async def transferred_with_a_withheld_report(h: HandoverHarness) -> tuple[str, dict[str, Any]]:
    case_id = await create_case(h, AGENCY)
    for t in sorted(REQUIRED_DOCUMENTS[HandoverReason.ALG1_EXHAUSTED]):
        await upload(h, AGENCY, case_id, t.value)
    await upload(h, AGENCY, case_id, "MEDICAL_PSYCHOLOGICAL_REPORT")
    response = await h.client.post(
        f"/v1/cases/{case_id}/handovers",
        json={"reason": "ALG1_EXHAUSTED", "to_org": JOBCENTER, "trigger": TRIGGER},
        headers=h.auth(AGENCY),
    )
    assert response.status_code == 201, response.text
    handover: dict[str, Any] = response.json()
    await deliver_eligibility(h, handover, "SGB_II")
    return case_id, handover


async def disclosures(h: HandoverHarness, case_id: str, org: str) -> Any:
    return await h.client.get(f"/v1/cases/{case_id}/disclosures", headers=h.auth(org))


class TestDisclosures:
    """What was sent about the person, to whom, when and on which legal basis."""

    async def test_announcement_and_transfer_with_documents_and_the_withheld_report(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id, handover = await transferred_with_a_withheld_report(h)
        response = await disclosures(h, case_id, JOBCENTER)
        assert response.status_code == 200, response.text
        announcement, transfer = response.json()["items"]

        assert announcement["kind"] == "announcement"
        assert announcement["handover_id"] == handover["id"]
        assert announcement["to_org"] == JOBCENTER
        assert announcement["legal_basis"].startswith("§ 69 Abs. 1 Nr. 1 SGB X")
        assert announcement["document_types"] == []
        assert "keine Angaben zu Ihrer Person" in announcement["text"]

        assert transfer["kind"] == "transfer"
        assert transfer["from_org_name"] == "Agentur für Arbeit Hagen"
        assert transfer["to_org_name"] == "Jobcenter EN (Ennepe-Ruhr-Kreis)"
        assert "§ 50 SGB II" in transfer["legal_basis"]
        required = {t.value for t in REQUIRED_DOCUMENTS[HandoverReason.ALG1_EXHAUSTED]}
        assert set(transfer["document_types"]) == required
        assert transfer["withheld_document_types"] == ["MEDICAL_PSYCHOLOGICAL_REPORT"]
        day = datetime.fromisoformat(transfer["at"]).strftime("%d.%m.%Y")
        assert transfer["text"].startswith(f"Am {day} hat Agentur für Arbeit Hagen Ihren Fall")
        assert "Bewilligungsbescheid Arbeitslosengeld" in transfer["text"]
        assert "Nicht übermittelt" in transfer["text"]
        assert "Ärztliches oder psychologisches Gutachten" in transfer["text"]

    async def test_the_source_still_reads_them_others_get_404_and_every_call_is_audited(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id, _ = await transferred_with_a_withheld_report(h)
        source = await disclosures(h, case_id, AGENCY)
        assert source.status_code == 200, source.text
        assert [d["kind"] for d in source.json()["items"]] == ["announcement", "transfer"]
        assert (await disclosures(h, case_id, OTHER)).status_code == 404
        letter = await h.client.get(
            f"/v1/cases/{case_id}/disclosures/letter", headers=h.auth(OTHER)
        )
        assert letter.status_code == 404

        await h.client.get(f"/v1/cases/{case_id}/disclosures/letter", headers=h.auth(JOBCENTER))
        trail = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(JOBCENTER))
        calls = [
            (i["action"], i["actor_org"])
            for i in trail.json()["items"]
            if i["action"].startswith("disclosures.")
        ]
        assert calls == [
            ("disclosures.listed", AGENCY),
            ("disclosures.letter_rendered", JOBCENTER),
        ]

    async def test_before_any_handover_the_list_is_empty(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h, AGENCY)
        response = await disclosures(h, case_id, AGENCY)
        assert response.json() == {"case_id": case_id, "items": []}


class TestLetter:
    """The same disclosures as a German PDF letter a caseworker can hand out."""

    async def test_the_pdf_carries_the_key_texts(self, harness: HandoverHarness) -> None:
        h = harness
        case_id, _ = await transferred_with_a_withheld_report(h)
        response = await h.client.get(
            f"/v1/cases/{case_id}/disclosures/letter", headers=h.auth(AGENCY)
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        text = page_text(response.content)
        for phrase in (
            "Auskunft über übermittelte Sozialdaten",
            "Agentur für Arbeit Hagen",
            "Ankündigung der Übergabe",
            "Übermittlung Ihres Falls",
            "Rechtsgrundlage",
            "Gutachten",
        ):
            assert phrase.encode("latin-1") in text, phrase
