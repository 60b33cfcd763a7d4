"""The two cooperation agreements end to end, through HTTP and Kafka only.

Three real processes per service pair (API and worker), the real broker, real databases,
a real webhook receiver per organisation and a real SMTP server the notifications worker
sends to. Each story is one test that reads like the caseworkers' day.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import StackFactory
from tests.e2e.smtp import Mailbox, smtp_server
from tests.e2e.stack import RunningStack
from tests.e2e.test_handover_slice import ALG1_EXHAUSTED_DOCUMENTS, poll
from tests.e2e.webhook_receiver import WebhookReceiver, verify_signature, webhook_receiver
from tests.guide import example

BERLIN = ZoneInfo("Europe/Berlin")
PDF = "application/pdf"
guide = example("receiver")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback."""
    with smtp_server() as served:
        yield served


def started_stack(stack_factory: StackFactory, mailbox: Mailbox) -> RunningStack:
    """The stack with notices e-mailed to `mailbox` and a scheduler that looks every second."""
    return stack_factory(
        extra_env={
            **mailbox.settings_env(),
            "ELIGIBILITY_SCHEDULER_INTERVAL_SECONDS": "1",
        }
    )


def subscribe(stack: RunningStack, org: str, receiver: WebhookReceiver, *topics: str) -> str:
    """A webhook subscription of `org` for `topics`; returns its signing secret."""
    with stack.client("notifications_api", org) as client:
        created = client.post(
            "/v1/subscriptions",
            json={"url": receiver.url, "event_types": list(topics)},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    assert created.status_code == 201, created.text
    secret: str = created.json()["secret"]
    return secret


def upload(client: httpx.Client, case_id: str, doc_types: list[str]) -> dict[str, str]:
    """Upload one small PDF per type; returns document id → sha256."""
    uploaded: dict[str, str] = {}
    for doc_type in doc_types:
        content = f"%PDF-1.7\n{doc_type}\n".encode()
        response = client.post(
            f"/v1/cases/{case_id}/documents",
            files={"file": (f"{doc_type}.pdf", content, PDF)},
            data={"type": doc_type},
        )
        assert response.status_code == 201, response.text
        assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
        uploaded[response.json()["id"]] = response.json()["sha256"]
    return uploaded


def events_of(
    receiver: WebhookReceiver, secret: str, ce_type: str, case_id: str, count: int = 1
) -> list[Any]:
    """The verified CloudEvents of `ce_type` about `case_id` the receiver got (waits for
    `count`). The stack is shared with other tests, whose cases of the same organisations
    reach the same subscriptions: the CloudEvent `subject` (the case id) tells them apart.

    Deliveries are at least once: a retry after a slow answer repeats the `webhook-id`, and
    a receiver dedupes on it (docs/receiver-guide.md), so a repeat is counted once.
    """

    def verified() -> list[Any]:
        found = []
        seen: set[str] = set()
        for webhook in receiver.received:
            assert verify_signature(secret, webhook)
            event = guide.verify_webhook(secret, webhook.headers, webhook.body)
            webhook_id = webhook.headers["webhook-id"]
            about = event["type"] == ce_type and event["subject"] == case_id
            if about and webhook_id not in seen:
                seen.add(webhook_id)
                found.append(event)
        return found

    found: list[Any] = poll(verified, lambda events: len(events) >= count)
    return found


def alg1_claim_start_ending_in(days: int, today: date) -> date:
    """A claim start whose twelve months of ALG I end `days` after `today`.

    The scheduler reads the real calendar (no clock setting reaches it), so this one fact is
    placed relative to the day the suite runs; every later date follows from the engine.
    """
    end = today + timedelta(days=days)
    after = end + timedelta(days=1)
    try:
        return after.replace(year=after.year - 1)
    except ValueError:  # 29 February
        return date(after.year - 1, 3, 1)


class TestHagenEnnepeRuhr:
    """ALG I ends in three months → info session in Witten → consultation → SGB II → notice."""

    AGENCY = "agentur-hagen"
    JOBCENTER = "jobcenter-ennepe-ruhr"
    EMAIL = "jonas.beispiel@example.org"

    def test_from_the_info_session_to_the_notice_of_the_new_jobcenter(
        self, stack_factory: StackFactory, mailbox: Mailbox
    ) -> None:
        stack = started_stack(stack_factory, mailbox)
        today = datetime.now(BERLIN).date()
        with ExitStack() as opened:
            agency_hooks = opened.enter_context(webhook_receiver())
            jobcenter_hooks = opened.enter_context(webhook_receiver())
            agency = opened.enter_context(stack.client("handover_api", self.AGENCY))
            jobcenter = opened.enter_context(stack.client("handover_api", self.JOBCENTER))
            agency_n = opened.enter_context(stack.client("notifications_api", self.AGENCY))
            jobcenter_n = opened.enter_context(stack.client("notifications_api", self.JOBCENTER))
            agency_secret = subscribe(stack, self.AGENCY, agency_hooks, "transition.upcoming")
            jobcenter_secret = subscribe(stack, self.JOBCENTER, jobcenter_hooks, "case.transferred")

            # The two hosts' series: 2nd and 4th Tuesday at 09:30 in Witten.
            series = agency_n.post(
                "/v1/info-session-series",
                json={
                    "location": "WITTEN",
                    "place": "Agentur für Arbeit Witten, Bergerstraße 24, Raum 112",
                    "weekday": "TU",
                    "weeks_of_month": [2, 4],
                    "start_time": "09:30:00",
                    "capacity": 20,
                    "agentur_org": self.AGENCY,
                    "jobcenter_org": self.JOBCENTER,
                    "co_hosts": [
                        {
                            "org": self.AGENCY,
                            "role": "placement_officer",
                            "name": "Arbeitsvermittlung Team 421",
                        },
                        {
                            "org": self.JOBCENTER,
                            "role": "integration_coach",
                            "name": "Integrationsfachkräfte Witten",
                        },
                    ],
                    "valid_from": today.isoformat(),
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert series.status_code == 201, series.text
            series_id = series.json()["id"]

            # ALG I ends in about three months (twelve months from the claim start).
            claim_start = alg1_claim_start_ending_in(80, today)
            created = agency.post(
                "/v1/cases",
                json={
                    "municipality": "Witten",
                    "person": {
                        "given_name": "Jonas",
                        "family_name": "Beispiel",
                        "email": self.EMAIL,
                    },
                    "facts": {
                        "birth_date": "1985-03-12",
                        "nationality": "GERMAN",
                        "erwerbsfaehig": True,
                        "hilfebeduerftig": True,
                        "habitual_residence_de": True,
                        "alg1": {
                            "claim_start_date": claim_start.isoformat(),
                            "insured_months_30": 24,
                            "insured_months_60": 24,
                        },
                    },
                    "integration_plan": {
                        "plan_type": "EINGLIEDERUNGSVEREINBARUNG",
                        "goals": [{"code": "KLDB_25102"}],
                        "measures": [{"type": "AVGS", "cost_bearer": "AGENTUR"}],
                    },
                },
            )
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]

            # eligibility_api's scheduler → transition.upcoming → seated in the next session.
            invitations = poll(
                lambda: agency_n.get("/v1/invitations", params={"case_id": case_id}).json(),
                lambda page: bool(page["items"]) and page["items"][0]["session_id"] is not None,
                timeout=90,
            )["items"]
            assert invitations, stack.log("eligibility_api")[-3000:]
            [invitation] = invitations
            alg1_end = date.fromisoformat(invitation["alg1_end_date"])
            assert timedelta(days=60) < alg1_end - today <= timedelta(days=90)
            assert invitation["location"] == "WITTEN"
            sessions = agency_n.get(
                "/v1/info-sessions", params={"series_id": series_id, "limit": 50}
            ).json()["items"]
            session = next(s for s in sessions if s["id"] == invitation["session_id"])
            session_start = datetime.fromisoformat(session["starts_at"]).astimezone(BERLIN)
            assert session_start.weekday() == 1, "a Tuesday"
            assert session_start.time() == time(9, 30)
            assert session_start.date() < alg1_end
            assert date.fromisoformat(invitation["consultation_due_date"]) == (
                session_start.date() + timedelta(days=28)
            )

            # The Agentur's webhook names the session; the co-hosting Jobcenter sees the seat.
            [upcoming] = events_of(
                agency_hooks, agency_secret, "de.handover.transition.upcoming.v1", case_id
            )
            assert upcoming["data"]["case_id"] == case_id
            assert upcoming["data"]["session_id"] == session["id"]
            assert upcoming["data"]["session_location"] == "WITTEN"
            assert upcoming["data"]["session_place"] == series.json()["place"]
            seen = jobcenter_n.get("/v1/invitations", params={"case_id": case_id}).json()["items"]
            assert [i["id"] for i in seen] == [invitation["id"]]
            listed = jobcenter_n.get(f"/v1/info-sessions/{session['id']}/invitations")
            assert listed.status_code == 200, listed.text
            assert invitation["id"] in [i["id"] for i in listed.json()["items"]]

            # The Jobcenter's integration coach records the attendance.
            read = jobcenter_n.get(f"/v1/invitations/{invitation['id']}")
            attended = jobcenter_n.put(
                f"/v1/invitations/{invitation['id']}/attendance",
                json={"attendance": "attended"},
                headers={"If-Match": read.headers["etag"]},
            )
            assert attended.status_code == 200, attended.text
            assert attended.json()["attendance_recorded_by"] == self.JOBCENTER

            # The consultation a week after the session, within the four weeks, and held.
            slot = datetime.combine(session_start.date() + timedelta(days=7), time(10), BERLIN)
            booked = agency_n.post(
                "/v1/consultations",
                json={
                    "invitation_id": invitation["id"],
                    "starts_at": slot.isoformat(),
                    "ends_at": (slot + timedelta(minutes=45)).isoformat(),
                    "channel": "in_person",
                    "place": "Jobcenter EN, Standort Witten, Raum 2.14",
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert booked.status_code == 201, booked.text
            held = jobcenter_n.post(
                f"/v1/consultations/{booked.json()['id']}/outcome",
                json={"status": "held"},
                headers={"If-Match": booked.headers["etag"]},
            )
            assert held.status_code == 200, held.text
            assert held.json()["status"] == "held"

            # The SGB II application is the legal trigger: the dossier moves at once, the
            # Jobcenter responsible from the day after ALG I ends.
            uploaded = upload(agency, case_id, ALG1_EXHAUSTED_DOCUMENTS)
            plan_ids = [m["measure_id"] for m in created.json()["integration_plan"]["measures"]]
            started = agency.post(
                f"/v1/cases/{case_id}/handovers",
                json={
                    "reason": "ALG1_EXHAUSTED",
                    "to_org": self.JOBCENTER,
                    "transfer_date": (alg1_end + timedelta(days=1)).isoformat(),
                    "trigger": {
                        "type": "SGB2_APPLICATION_FILED",
                        "occurred_on": today.isoformat(),
                    },
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert started.status_code == 201, started.text
            handover_id = started.json()["id"]
            handover = poll(
                lambda: agency.get(f"/v1/handovers/{handover_id}").json(),
                lambda h: h["status"] not in ("preparing", "awaiting_documents"),
            )
            assert handover["status"] == "transferred", (handover, stack.log("handover_api"))
            assert handover["eligibility"]["legal_domain"] == "SGB_II"

            # The Jobcenter's backend gets the signed manifest and checks it as the guide says.
            [transferred] = events_of(
                jobcenter_hooks, jobcenter_secret, "de.handover.case.transferred.v1", case_id
            )
            data = transferred["data"]
            assert (data["from_org"], data["to_org"]) == (self.AGENCY, self.JOBCENTER)
            assert {d["document_id"]: d["sha256"] for d in data["documents"]} == uploaded
            keys = httpx.get(f"{stack.handover_url}/v1/manifest-keys", trust_env=False).json()
            assert guide.verify_manifest(data, keys) == guide.manifest_digest(data)
            assert [m["measure_id"] for m in data["integration_plan"]["measures"]] == plan_ids
            for document in data["documents"]:
                content = jobcenter.get(f"/v1/documents/{document['document_id']}/content")
                assert hashlib.sha256(content.content).hexdigest() == document["sha256"]

            # The person learns of the new Jobcenter by e-mail, with the letter as PDF.
            title = "Mitteilung über den Wechsel der Zuständigkeit"
            [mail] = mailbox.wait_for(lambda m: m.subject == title, timeout=60)
            assert mail.recipients == (self.EMAIL,)
            [letter] = mail.attachments(PDF)
            assert letter.startswith(b"%PDF")
            notices = poll(
                lambda: jobcenter_n.get("/v1/notices", params={"case_id": case_id}).json(),
                lambda page: any(
                    n["kind"] == "change_of_responsibility" and n["status"] == "sent"
                    for n in page["items"]
                ),
            )["items"]
            [notice] = [n for n in notices if n["kind"] == "change_of_responsibility"]
            assert (notice["channel"], notice["status"]) == ("email", "sent"), notices
            assert notice["pdf_sha256"] == hashlib.sha256(letter).hexdigest()

            # The invitation and the appointment confirmation went to the person too.
            subjects = {m.subject for m in mailbox.mails if m.recipients == (self.EMAIL,)}
            assert {"Einladung zur Informationsveranstaltung", "Terminbestätigung"} <= subjects


class TestAhlenMuensterMuenster:
    """Asylum granted → transfer on the first SGB II day with the plan → a letter."""

    AGENCY = "agentur-ahlen-muenster"
    JOBCENTER = "jobcenter-muenster"
    DOCUMENTS = (
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
    )

    def test_an_asylum_decision_moves_the_case_with_its_plan_and_a_letter(
        self, stack_factory: StackFactory, mailbox: Mailbox
    ) -> None:
        # FLUECHTLING_3 final on 2026-03-25: SGB II from 2026-04-01, a day the suite's
        # calendar has reached, so the dated transfer job moves the case at once.
        stack = started_stack(stack_factory, mailbox)
        assert datetime.now(UTC).date() >= date(2026, 4, 1)
        with ExitStack() as opened:
            hooks = opened.enter_context(webhook_receiver())
            agency = opened.enter_context(stack.client("handover_api", self.AGENCY))
            jobcenter = opened.enter_context(stack.client("handover_api", self.JOBCENTER))
            jobcenter_n = opened.enter_context(stack.client("notifications_api", self.JOBCENTER))
            secret = subscribe(stack, self.JOBCENTER, hooks, "case.transferred")

            created = agency.post(
                "/v1/cases",
                json={
                    "municipality": "Münster",
                    "person": {
                        "given_name": "Amal",
                        "family_name": "Haddad",
                        "address": {
                            "street": "Hafenweg 9",
                            "postal_code": "48155",
                            "town": "Münster",
                        },
                    },
                    "facts": {
                        "birth_date": "1994-05-02",
                        "nationality": "THIRD_COUNTRY",
                        "erwerbsfaehig": True,
                        "hilfebeduerftig": True,
                        "habitual_residence_de": True,
                        "residence_status": "AUFENTHALTSGESTATTUNG",
                    },
                    "integration_plan": {
                        "plan_type": "KOOPERATIONSPLAN",
                        "goals": [{"code": "SPRACHE_B1", "target_date": "2026-12-31"}],
                        "measures": [
                            {
                                "type": "INTEGRATIONSKURS",
                                "start_date": "2026-02-02",
                                "end_date": "2026-09-30",
                                "cost_bearer": "BAMF",
                                "status": "RUNNING",
                            }
                        ],
                    },
                },
            )
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]
            plan = created.json()["integration_plan"]
            measure_ids = [m["measure_id"] for m in plan["measures"]]
            goal_ids = [g["goal_id"] for g in plan["goals"]]
            upload(agency, case_id, list(self.DOCUMENTS))

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
            assert recorded.json()["handover"]["to_org"] == self.JOBCENTER

            handover = poll(
                lambda: agency.get(f"/v1/handovers/{handover_id}").json(),
                lambda h: h["status"] not in ("preparing", "awaiting_documents"),
            )
            assert handover["status"] == "transferred", (handover, stack.log("handover_api"))
            assert handover["reason"] == "ASYLUM_RECOGNISED"
            assert handover["transfer_date"] == "2026-04-01"
            assert handover["eligibility"]["legal_domain"] == "SGB_II"

            # The Jobcenter continues the plan: same goal and measure ids, in the event too.
            [transferred] = events_of(hooks, secret, "de.handover.case.transferred.v1", case_id)
            data = transferred["data"]
            assert data["case_id"] == case_id
            assert [m["measure_id"] for m in data["integration_plan"]["measures"]] == measure_ids
            keys = httpx.get(f"{stack.handover_url}/v1/manifest-keys", trust_env=False).json()
            assert guide.verify_manifest(data, keys) == guide.manifest_digest(data)
            case = jobcenter.get(f"/v1/cases/{case_id}")
            assert case.status_code == 200, case.text
            assert case.json()["owner_org"] == self.JOBCENTER
            continued = case.json()["integration_plan"]
            assert [m["measure_id"] for m in continued["measures"]] == measure_ids
            assert [g["goal_id"] for g in continued["goals"]] == goal_ids
            assert continued["measures"][0]["status"] == "RUNNING"

            # No e-mail address: the notice is a letter, laid out as PDF when it is printed.
            notices = poll(
                lambda: jobcenter_n.get("/v1/notices", params={"case_id": case_id}).json(),
                lambda page: any(
                    n["kind"] == "change_of_responsibility" and n["status"] == "rendered"
                    for n in page["items"]
                ),
            )["items"]
            [notice] = [n for n in notices if n["kind"] == "change_of_responsibility"]
            assert (notice["channel"], notice["status"]) == ("letter", "rendered"), notices
            assert (notice["org"], notice["pdf_sha256"]) == (self.JOBCENTER, None)
            document = jobcenter_n.get(f"/v1/notices/{notice['id']}/document")
            assert document.status_code == 200, document.text
            assert document.headers["content-type"].startswith(PDF)
            assert document.content.startswith(b"%PDF")
            printed = jobcenter_n.get(f"/v1/notices/{notice['id']}").json()
            assert hashlib.sha256(document.content).hexdigest() == printed["pdf_sha256"]
            assert mailbox.mails == [], "nobody to e-mail"
