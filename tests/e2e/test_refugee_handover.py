"""Refugees and re-decisions across three real processes, the real broker and real databases.

The Agentur in Ahlen-Münster records a positive asylum decision (FLUECHTLING_3 served
2026-03-10, final 2026-03-25); handover_api starts the handover to the Jobcenter Münster by
itself, eligibility_api's engine names the first day of SGB II (2026-04-01), the handover
takes that day as its transfer date and transfers without passing `ineligible`. The run's
own day lies after 2026-04-01, so the transfer follows at once.
"""

from __future__ import annotations

from tests.e2e.stack import RunningStack
from tests.e2e.test_handover_slice import ALG1_EXHAUSTED_DOCUMENTS, poll

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


def test_an_ineligible_handover_is_re_decided_when_the_facts_are_fixed(
    stack: RunningStack,
) -> None:
    facts = {
        "birth_date": "1971-01-15",
        "nationality": "GERMAN",
        "erwerbsfaehig": True,
        "hilfebeduerftig": False,
        "habitual_residence_de": True,
    }
    with stack.client("handover_api", "agentur-hagen") as agency:
        created = agency.post(
            "/v1/cases",
            json={
                "municipality": "Witten",
                "person": {"given_name": "Erika", "family_name": "Mustermann"},
                "facts": facts,
            },
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        for doc_type in ALG1_EXHAUSTED_DOCUMENTS:
            uploaded = agency.post(
                f"/v1/cases/{case_id}/documents",
                files={"file": (f"{doc_type}.pdf", f"%PDF-1.7\n{doc_type}\n".encode())},
                data={"type": doc_type},
            )
            assert uploaded.status_code == 201, uploaded.text
        started = agency.post(
            f"/v1/cases/{case_id}/handovers",
            json={
                "reason": "ALG1_EXHAUSTED",
                "to_org": "jobcenter-ennepe-ruhr",
                "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
            },
        )
        assert started.status_code == 201, started.text
        handover_id = started.json()["id"]
        ineligible = poll(
            lambda: agency.get(f"/v1/handovers/{handover_id}").json(),
            lambda h: h["status"] == "ineligible",
        )
        assert ineligible["status"] == "ineligible", (ineligible, stack.log("eligibility_api"))
        assert ineligible["blocking"] == ["not-eligible"]
        reasons = [r["code"] for r in ineligible["blocking_causes"][0]["reasons"]]
        assert "AGENTUR_JOB_SEEKER" in reasons

        etag = agency.get(f"/v1/cases/{case_id}").headers["etag"]
        patched = agency.patch(
            f"/v1/cases/{case_id}",
            json={"facts": {**facts, "hilfebeduerftig": True}},
            headers={"If-Match": etag},
        )
        assert patched.status_code == 200, patched.text

        handover = poll(
            lambda: agency.get(f"/v1/handovers/{handover_id}").json(),
            lambda h: h["status"] == "transferred",
        )
        assert handover["status"] == "transferred", (handover, stack.log("handover_api"))
        assert handover["eligibility"]["legal_domain"] == "SGB_II"
