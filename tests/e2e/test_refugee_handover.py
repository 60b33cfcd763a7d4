"""A refugee's handover across three real processes, the real broker and real databases.

The Agentur in Ahlen-Münster records a positive asylum decision (FLUECHTLING_3 served
2026-03-10, final 2026-03-25); handover_api starts the handover to the Jobcenter Münster by
itself, eligibility_api's engine names the first day of SGB II (2026-04-01), the handover
takes that day as its transfer date and transfers without passing `ineligible`. The run's
own day lies after 2026-04-01, so the transfer follows at once.
"""

from __future__ import annotations

from tests.e2e.stack import RunningStack
from tests.e2e.test_handover_slice import poll

AGENCY = "agentur-ahlen-muenster"
JOBCENTER = "jobcenter-muenster"
DOCUMENTS = [
    "IDENTITY_MASTER_DATA",
    "POTENZIALANALYSE",
    "INTEGRATION_AGREEMENT",
    "FOERDERPLAN",
    "APPLICANT_PROFILE",
    "CV_CERTIFICATES",
    "BAMF_DECISION",
    "RESIDENCE_PERMIT",
    "ASYLBLG_DISCONTINUATION",
    "INTEGRATION_COURSE",
    "FOREIGN_QUALIFICATION_RECOGNITION",
]


def test_an_asylum_decision_hands_the_case_to_the_jobcenter_on_its_first_day(
    stack: RunningStack,
) -> None:
    with (
        stack.client("handover_api", AGENCY) as agency,
        stack.client("handover_api", JOBCENTER) as jobcenter,
    ):
        created = agency.post(
            "/v1/cases",
            json={
                "municipality": "Münster",
                "person": {"given_name": "Amal", "family_name": "Haddad"},
                "facts": {
                    "birth_date": "1994-05-02",
                    "nationality": "THIRD_COUNTRY",
                    "erwerbsfaehig": True,
                    "hilfebeduerftig": True,
                    "habitual_residence_de": True,
                    "residence_status": "AUFENTHALTSGESTATTUNG",
                },
            },
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        for doc_type in DOCUMENTS:
            uploaded = agency.post(
                f"/v1/cases/{case_id}/documents",
                files={"file": (f"{doc_type}.pdf", f"%PDF-1.7\n{doc_type}\n".encode())},
                data={"type": doc_type},
            )
            assert uploaded.status_code == 201, uploaded.text

        etag = agency.get(f"/v1/cases/{case_id}").headers["etag"]
        recorded = agency.post(
            f"/v1/cases/{case_id}/asylum-decision",
            json={
                "type": "FLUECHTLING_3",
                "decision_date": "2026-03-06",
                "served_date": "2026-03-10",
                "final_date": "2026-03-25",
            },
            headers={"If-Match": etag},
        )
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["outcome"] == "handover-started"
        handover_id = recorded.json()["handover"]["id"]

        handover = poll(
            lambda: agency.get(f"/v1/handovers/{handover_id}").json(),
            lambda h: h["status"] not in ("preparing", "awaiting_documents"),
        )
        assert handover["status"] == "transferred", (handover, stack.log("handover_api"))
        assert handover["transfer_date"] == "2026-04-01"
        assert handover["eligibility"]["legal_domain"] == "SGB_II"

        audit = jobcenter.get(f"/v1/cases/{case_id}/audit", params={"limit": 200})
        assert audit.status_code == 200, audit.text
        actions = [e["action"] for e in audit.json()["items"]]
        assert "handover.transfer_date_set" in actions
        assert "handover.ineligible" not in actions
        assert jobcenter.get(f"/v1/cases/{case_id}").json()["owner_org"] == JOBCENTER
