"""The vertical slice across three real processes, the real broker and real databases.

An agency creates a case, uploads the dossier and starts a handover; eligibility_api
confirms SGB II; the handover transfers by itself; notifications_api delivers a signed
webhook to the jobcenter's endpoint; the jobcenter reads the case and its documents.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx

from tests.e2e.stack import RunningStack
from tests.e2e.webhook_receiver import verify_signature, webhook_receiver
from tests.examples import ALG1_ENDS_CASE
from tests.guide import example

AGENCY = "agentur-hagen"
JOBCENTER = "jobcenter-ennepe-ruhr"
THIRD = "jobcenter-muenster"

ALG1_EXHAUSTED_DOCUMENTS = [
    "IDENTITY_MASTER_DATA",
    "ALG1_APPROVAL",
    "POTENZIALANALYSE",
    "INTEGRATION_AGREEMENT",
    "FOERDERPLAN",
    "APPLICANT_PROFILE",
    "CV_CERTIFICATES",
    "JOB_OFFERS_OWN_EFFORTS",
    "APPOINTMENT_HISTORY",
    "INFO_SESSION_ATTENDANCE",
]

CASE = ALG1_ENDS_CASE
guide = example("receiver")


def poll(fetch: Any, until: Any, timeout: float = 60.0) -> Any:
    """Call `fetch` until `until(result)` holds; return the last result."""
    deadline = time.monotonic() + timeout
    result = fetch()
    while not until(result) and time.monotonic() < deadline:
        time.sleep(0.25)
        result = fetch()
    return result


def test_handover_slice_end_to_end(stack: RunningStack) -> None:
    with (
        webhook_receiver(fail_first=1) as receiver,
        stack.client("handover_api", AGENCY) as agency,
        stack.client("handover_api", JOBCENTER) as jobcenter,
        stack.client("handover_api", THIRD) as third,
        stack.client("notifications_api", JOBCENTER) as jobcenter_notifications,
    ):
        subscription = jobcenter_notifications.post(
            "/v1/subscriptions", json={"url": receiver.url, "event_types": ["case.transferred"]}
        )
        assert subscription.status_code == 201, subscription.text
        secret = subscription.json()["secret"]

        created = agency.post("/v1/cases", json=CASE)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        uploaded: dict[str, str] = {}
        for doc_type in ALG1_EXHAUSTED_DOCUMENTS:
            content = f"%PDF-1.7\n{doc_type}\n".encode()
            response = agency.post(
                f"/v1/cases/{case_id}/documents",
                files={"file": (f"{doc_type}.pdf", content, "application/pdf")},
                data={"type": doc_type},
            )
            assert response.status_code == 201, response.text
            assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
            uploaded[response.json()["id"]] = response.json()["sha256"]

        started = agency.post(
            f"/v1/cases/{case_id}/handovers",
            json={
                "reason": "ALG1_EXHAUSTED",
                "to_org": JOBCENTER,
                "transfer_date": "2026-05-01",
                "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
            },
        )
        assert started.status_code == 201, started.text
        handover_id = started.json()["id"]

        handover = poll(
            lambda: agency.get(f"/v1/handovers/{handover_id}").json(),
            lambda h: h["status"] != "preparing" and h["eligibility_status"] != "pending",
        )
        assert handover["status"] == "transferred", (handover, stack.log("eligibility_api"))
        assert handover["eligibility"]["legal_domain"] == "SGB_II"

        [webhook] = receiver.wait_for(1, timeout=60)
        assert receiver.calls >= 2, "the first attempt failed and was retried"
        assert verify_signature(secret, webhook)
        # The receiver's guide example, as written, accepts the webhook and the manifest.
        event = guide.verify_webhook(secret, webhook.headers, webhook.body)
        assert event["type"] == "de.handover.case.transferred.v1"
        assert event["subject"] == case_id
        data = event["data"]
        assert (data["from_org"], data["to_org"]) == (AGENCY, JOBCENTER)
        assert {d["document_id"]: d["sha256"] for d in data["documents"]} == uploaded
        assert data["integration_plan"]["measures"][0]["type"] == "BILDUNGSGUTSCHEIN"
        keys = httpx.get(f"{stack.handover_url}/v1/manifest-keys", trust_env=False).json()
        digest = guide.verify_manifest(data, keys)
        assert digest == guide.manifest_digest(data)

        # The jobcenter continues with its own token: case and every document.
        case = jobcenter.get(f"/v1/cases/{case_id}")
        assert case.status_code == 200
        assert case.json()["owner_org"] == JOBCENTER
        for document in data["documents"]:
            download = jobcenter.get(f"/v1/documents/{document['document_id']}/content")
            assert download.status_code == 200
            assert hashlib.sha256(download.content).hexdigest() == document["sha256"]

        # Later changes are the jobcenter's; the agency no longer sees the case.
        etag = case.headers["etag"]
        changed = jobcenter.patch(
            f"/v1/cases/{case_id}", json={"municipality": "Gevelsberg"}, headers={"If-Match": etag}
        )
        assert changed.status_code == 200
        assert agency.get(f"/v1/cases/{case_id}").status_code == 404
        assert agency.get(f"/v1/handovers/{handover_id}").json()["status"] == "transferred"

        # A third organisation gets 404 everywhere.
        for path in (
            f"/v1/cases/{case_id}",
            f"/v1/cases/{case_id}/documents",
            f"/v1/handovers/{handover_id}",
            f"/v1/documents/{data['documents'][0]['document_id']}/content",
        ):
            assert third.get(path).status_code == 404, path

        # Events and logs carry pseudonymous ids only: no name, no Kundennummer.
        personal = ("Mustermann", "Erika", "123A456789")
        assert not any(word.encode() in webhook.body for word in personal)
        for service in ("handover_api", "eligibility_api", "notifications_api"):
            log = stack.log(service)
            assert "http.request" in log, f"{service} wrote no request log"
            assert not any(word in log for word in personal), service
