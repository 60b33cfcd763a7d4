"""The agreement's proactive path across three processes (domain.md §2.1, §4.1 R1/R2).

A case whose ALG I ends in about two months is registered; eligibility_api's scheduler
announces `transition.upcoming`; notifications_api seats the person in the next joint info
session in Witten, with the individual consultation due 28 days after the session.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.e2e.conftest import StackFactory

AGENCY = "agentur-hagen"
JOBCENTER = "jobcenter-ennepe-ruhr"


def months_before(day: date, months: int) -> date:
    """The first day of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def test_upcoming_transition_books_an_info_session(stack_factory: StackFactory) -> None:
    stack = stack_factory(extra_env={"ELIGIBILITY_SCHEDULER_INTERVAL_SECONDS": "1"})
    today = datetime.now(UTC).date()
    # Twelve months of ALG I from the 1st, ten months ago: it ends in about two months.
    claim_start = months_before(today, 10)
    session_at = datetime.combine(today + timedelta(days=21), datetime.min.time(), UTC)
    session_at = session_at.replace(hour=9)
    with (
        stack.client("notifications_api", AGENCY) as agency_notifications,
        stack.client("handover_api", AGENCY) as agency,
    ):
        session = agency_notifications.post(
            "/v1/info-sessions",
            json={
                "location": "WITTEN",
                "starts_at": session_at.isoformat(),
                "capacity": 20,
                "agentur_org": AGENCY,
                "jobcenter_org": JOBCENTER,
            },
        )
        assert session.status_code == 201, session.text
        created = agency.post(
            "/v1/cases",
            json={
                "municipality": "Witten",
                "person": {"given_name": "Max", "family_name": "Beispiel"},
                "facts": {
                    "birth_date": "1985-03-12",
                    "nationality": "GERMAN",
                    "erwerbsfaehig": True,
                    "habitual_residence_de": True,
                    "alg1": {
                        "claim_start_date": claim_start.isoformat(),
                        "insured_months_30": 24,
                        "insured_months_60": 24,
                    },
                },
            },
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]

        deadline = time.monotonic() + 90
        invitations: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not invitations:
            response = agency_notifications.get("/v1/invitations", params={"case_id": case_id})
            assert response.status_code == 200, response.text
            invitations = response.json()["items"]
            time.sleep(0.5)

    assert invitations, stack.log("eligibility_api")[-3000:]
    [invitation] = invitations
    assert invitation["status"] == "scheduled"
    assert invitation["location"] == "WITTEN"
    assert invitation["session_id"] == session.json()["id"]
    assert date.fromisoformat(invitation["consultation_due_date"]) == session_at.date() + timedelta(
        days=28
    )
    end = date.fromisoformat(invitation["alg1_end_date"])
    assert timedelta(days=30) < end - today < timedelta(days=90)
