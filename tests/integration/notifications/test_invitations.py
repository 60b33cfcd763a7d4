"""Info sessions and invitations: next session with a free seat, R2 due date, pending."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from tests.integration.notifications.conftest import AGENCY, JOBCENTER, OTHER, Harness, upcoming

TODAY = datetime.now(UTC).date()
END = TODAY + timedelta(days=90)


def at(day: date, hour: int = 9) -> str:
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat()


async def schedule(
    harness: Harness, day: date, *, location: str = "WITTEN", capacity: int = 2, org: str = AGENCY
) -> dict[str, Any]:
    response = await harness.client.post(
        "/v1/info-sessions",
        json={
            "location": location,
            "starts_at": at(day),
            "capacity": capacity,
            "agentur_org": AGENCY,
            "jobcenter_org": JOBCENTER,
        },
        headers=harness.auth(org),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def invitations(harness: Harness, case_id: uuid.UUID, org: str = AGENCY) -> list[Any]:
    response = await harness.client.get(
        "/v1/invitations", params={"case_id": str(case_id)}, headers=harness.auth(org)
    )
    assert response.status_code == 200
    items: list[Any] = response.json()["items"]
    return items


class TestInfoSessionsApi:
    async def test_jobcenter_can_schedule_and_both_hosts_see_it(self, harness: Harness) -> None:
        created = await schedule(harness, TODAY + timedelta(days=7), org=JOBCENTER)
        assert created["free_seats"] == 2
        for org in (AGENCY, JOBCENTER):
            listed = await harness.client.get(
                "/v1/info-sessions", params={"location": "WITTEN"}, headers=harness.auth(org)
            )
            assert [s["id"] for s in listed.json()["items"]] == [created["id"]]
        other = await harness.client.get("/v1/info-sessions", headers=harness.auth(OTHER))
        assert other.json()["items"] == []

    async def test_org_that_hosts_nothing_cannot_schedule(self, harness: Harness) -> None:
        response = await harness.client.post(
            "/v1/info-sessions",
            json={
                "location": "WITTEN",
                "starts_at": at(TODAY),
                "capacity": 5,
                "agentur_org": AGENCY,
                "jobcenter_org": JOBCENTER,
            },
            headers=harness.auth(OTHER),
        )
        assert response.status_code == 422
        assert response.json()["type"].endswith("info-session-not-hosted")

    @pytest.mark.parametrize(
        ("agentur", "jobcenter"),
        [(AGENCY, "jobcenter-muenster"), ("agentur-ahlen-muenster", JOBCENTER)],
    )
    async def test_only_cooperation_partners_host_together(
        self, harness: Harness, agentur: str, jobcenter: str
    ) -> None:
        """A host cannot put a session into the calendar of an organisation it has no
        cooperation agreement with."""
        caller = agentur if agentur == AGENCY else jobcenter
        response = await harness.client.post(
            "/v1/info-sessions",
            json={
                "location": "WITTEN",
                "starts_at": at(TODAY),
                "capacity": 5,
                "agentur_org": agentur,
                "jobcenter_org": jobcenter,
            },
            headers=harness.auth(caller),
        )
        assert response.status_code == 422, response.text
        assert response.json()["type"].endswith("not-cooperation-partners")
        other = "jobcenter-muenster" if caller == AGENCY else "agentur-ahlen-muenster"
        calendar = await harness.client.get("/v1/info-sessions", headers=harness.auth(other))
        assert calendar.json()["items"] == []

    async def test_naive_start_time_is_refused(self, harness: Harness) -> None:
        response = await harness.client.post(
            "/v1/info-sessions",
            json={
                "location": "WITTEN",
                "starts_at": "2030-01-01T09:00:00",
                "capacity": 5,
                "agentur_org": AGENCY,
                "jobcenter_org": JOBCENTER,
            },
            headers=harness.auth(AGENCY),
        )
        assert response.status_code == 422

    async def test_list_is_in_start_order_across_pages(self, harness: Harness) -> None:
        days = [TODAY + timedelta(days=d) for d in (20, 5, 12)]
        for day in days:
            await schedule(harness, day)
        first = await harness.client.get(
            "/v1/info-sessions", params={"limit": 2}, headers=harness.auth(AGENCY)
        )
        second = await harness.client.get(
            "/v1/info-sessions",
            params={"limit": 2, "cursor": first.json()["next_cursor"]},
            headers=harness.auth(AGENCY),
        )
        starts = [s["starts_at"][:10] for s in first.json()["items"] + second.json()["items"]]
        assert starts == sorted(d.isoformat() for d in days)
        assert second.json()["next_cursor"] is None


class TestInvitationOnTransitionUpcoming:
    async def test_invites_to_the_next_session_at_the_municipality(self, harness: Harness) -> None:
        await schedule(harness, TODAY + timedelta(days=3), location="GEVELSBERG")
        later = await schedule(harness, TODAY + timedelta(days=14))
        sooner = await schedule(harness, TODAY + timedelta(days=7))
        case = uuid.uuid4()
        event = upcoming(case, municipality="Witten", invitation_date=TODAY, alg1_end_date=END)
        assert await harness.consume(event) == "processed"

        [invitation] = await invitations(harness, case)
        assert invitation["status"] == "scheduled"
        assert invitation["session_id"] == sooner["id"] != later["id"]
        assert invitation["location"] == "WITTEN"
        # domain.md R2: individual consultation due 28 days after the session.
        assert invitation["consultation_due_date"] == (TODAY + timedelta(days=7 + 28)).isoformat()
        assert "name" not in invitation

    async def test_full_session_is_skipped(self, harness: Harness) -> None:
        full = await schedule(harness, TODAY + timedelta(days=7), capacity=1)
        nxt = await schedule(harness, TODAY + timedelta(days=21), capacity=1)
        first, second = uuid.uuid4(), uuid.uuid4()
        for case in (first, second):
            await harness.consume(upcoming(case, invitation_date=TODAY, alg1_end_date=END))
        assert (await invitations(harness, first))[0]["session_id"] == full["id"]
        assert (await invitations(harness, second))[0]["session_id"] == nxt["id"]

    async def test_session_before_the_invitation_date_is_not_used(self, harness: Harness) -> None:
        await schedule(harness, TODAY + timedelta(days=2))
        case = uuid.uuid4()
        await harness.consume(
            upcoming(case, invitation_date=TODAY + timedelta(days=5), alg1_end_date=END)
        )
        [invitation] = await invitations(harness, case)
        assert invitation["status"] == "pending"
        assert invitation["session_id"] is None
        assert invitation["consultation_due_date"] is None

    async def test_pending_invitation_gets_a_seat_when_a_session_is_added(
        self, harness: Harness
    ) -> None:
        case = uuid.uuid4()
        await harness.consume(upcoming(case, invitation_date=TODAY, alg1_end_date=END))
        assert (await invitations(harness, case))[0]["status"] == "pending"
        created = await schedule(harness, TODAY + timedelta(days=10))
        assert created["booked"] == 1
        [invitation] = await invitations(harness, case)
        assert invitation["status"] == "scheduled"
        assert invitation["session_id"] == created["id"]

    async def test_no_municipality_leaves_the_invitation_pending(self, harness: Harness) -> None:
        await schedule(harness, TODAY + timedelta(days=7))
        case = uuid.uuid4()
        await harness.consume(
            upcoming(case, municipality=None, invitation_date=TODAY, alg1_end_date=END)
        )
        [invitation] = await invitations(harness, case)
        assert invitation["status"] == "pending"
        assert invitation["location"] is None

    async def test_same_forecast_again_keeps_the_invitation(self, harness: Harness) -> None:
        await schedule(harness, TODAY + timedelta(days=7))
        case = uuid.uuid4()
        for _ in range(2):  # two distinct events with the same dates
            await harness.consume(upcoming(case, invitation_date=TODAY, alg1_end_date=END))
        assert len(await invitations(harness, case)) == 1

    async def test_changed_forecast_supersedes_and_frees_the_seat(self, harness: Harness) -> None:
        session = await schedule(harness, TODAY + timedelta(days=7), capacity=1)
        case = uuid.uuid4()
        await harness.consume(upcoming(case, invitation_date=TODAY, alg1_end_date=END))
        await harness.consume(
            upcoming(case, invitation_date=TODAY, alg1_end_date=END + timedelta(days=30))
        )
        items = await invitations(harness, case)
        assert sorted(i["status"] for i in items) == ["scheduled", "superseded"]
        current = next(i for i in items if i["status"] == "scheduled")
        assert current["session_id"] == session["id"]  # the freed seat was taken again

    async def test_only_the_owning_org_sees_invitations(self, harness: Harness) -> None:
        case = uuid.uuid4()
        await harness.consume(upcoming(case, invitation_date=TODAY, alg1_end_date=END))
        assert await invitations(harness, case, org=JOBCENTER) == []
        assert len(await invitations(harness, case, org=AGENCY)) == 1
        forbidden = await harness.client.get(
            "/v1/invitations", headers=harness.auth(AGENCY, ["info-sessions:read"])
        )
        assert forbidden.status_code == 403
