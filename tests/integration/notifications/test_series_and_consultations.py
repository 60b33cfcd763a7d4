"""Session series, invitations seen by both hosts, attendance, consultations and R2 overdue.

Dated scenario: the Hagen/Ennepe-Ruhr sessions in Witten on the 2nd and 4th Tuesday of each
month at 09:30 from March 2030 (DST begins on 2030-03-31, so 09:30 is 08:30Z, then 07:30Z).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select

from notifications_api.adapters.tables import Delivery
from notifications_api.domain.series import SeriesRule, Weekday
from notifications_api.use_cases.consultations import report_overdue_consultations
from notifications_api.use_cases.info_sessions import (
    CoHost,
    CreateSeries,
    create_series,
    extend_series,
)
from shared.auth import Principal
from shared.db.tables import OUTBOX
from shared.idempotency import Answer
from tests.integration.notifications.conftest import AGENCY, JOBCENTER, OTHER, Harness, upcoming

SERIES = {
    "location": "WITTEN",
    "place": "Agentur für Arbeit Witten, Bergerstraße 24, Raum 112",
    "weekday": "TU",
    "weeks_of_month": [2, 4],
    "start_time": "09:30:00",
    "capacity": 20,
    "agentur_org": AGENCY,
    "jobcenter_org": JOBCENTER,
    "co_hosts": [
        {"org": AGENCY, "role": "placement_officer", "name": "Arbeitsvermittlung Team 421"},
        {"org": JOBCENTER, "role": "integration_coach", "name": "Integrationsfachkräfte Witten"},
    ],
    "valid_from": "2030-03-01",
}
# 2nd and 4th Tuesdays up to the twelve-week horizon from 2030-03-01 (2030-05-24).
FIRST_SESSIONS = [
    "2030-03-12T08:30:00Z",
    "2030-03-26T08:30:00Z",
    "2030-04-09T07:30:00Z",
    "2030-04-23T07:30:00Z",
    "2030-05-14T07:30:00Z",
]


async def post_series(harness: Harness, **overrides: Any) -> dict[str, Any]:
    response = await harness.client.post(
        "/v1/info-session-series", json={**SERIES, **overrides}, headers=harness.auth(AGENCY)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def session_starts(harness: Harness, series_id: str, org: str = AGENCY) -> list[str]:
    response = await harness.client.get(
        "/v1/info-sessions", params={"series_id": series_id}, headers=harness.auth(org)
    )
    assert response.status_code == 200, response.text
    return [
        datetime.fromisoformat(s["starts_at"]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for s in response.json()["items"]
    ]


async def seated_invitation(harness: Harness) -> tuple[uuid.UUID, dict[str, Any]]:
    """A case of the Agentur invited on 2030-03-01 (ALG I ends 2030-06-01), seated 03-12."""
    case_id = uuid.uuid4()
    event = upcoming(case_id, invitation_date=date(2030, 3, 1), alg1_end_date=date(2030, 6, 1))
    assert await harness.consume(event) == "processed"
    listed = await harness.client.get(
        "/v1/invitations", params={"case_id": str(case_id)}, headers=harness.auth(AGENCY)
    )
    (invitation,) = listed.json()["items"]
    assert invitation["session_starts_at"].startswith("2030-03-12T08:30")
    return case_id, invitation


async def attend(harness: Harness, invitation_id: str, org: str = JOBCENTER) -> dict[str, Any]:
    response = await harness.client.put(
        f"/v1/invitations/{invitation_id}/attendance",
        json={"attendance": "attended"},
        headers={**harness.auth(org), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def book(
    harness: Harness, invitation_id: str, starts_at: str, ends_at: str, org: str = JOBCENTER
) -> Any:
    return await harness.client.post(
        "/v1/consultations",
        json={
            "invitation_id": invitation_id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "channel": "in_person",
            "place": "Jobcenter EN, Standort Witten, Raum 2.14",
        },
        headers=harness.auth(org),
    )


async def outbox_overdue_rows(harness: Harness) -> int:
    async with harness.uow() as uow:
        count = await uow.session.scalar(
            select(func.count()).where(OUTBOX.c.topic == "consultation.overdue")
        )
    return int(count or 0)


class TestSeriesMaterialisation:
    async def test_second_and_fourth_tuesday_in_witten_for_twelve_weeks(
        self, harness: Harness
    ) -> None:
        series = await post_series(harness)
        assert series["materialised_until"] == "2030-05-24"
        assert series["session_count"] == 5
        for org in (AGENCY, JOBCENTER):
            assert await session_starts(harness, series["id"], org) == FIRST_SESSIONS
        listed = await harness.client.get(
            "/v1/info-sessions", params={"series_id": series["id"]}, headers=harness.auth(AGENCY)
        )
        first = listed.json()["items"][0]
        assert first["series_id"] == series["id"]
        assert first["place"] == SERIES["place"]
        assert first["capacity"] == 20

    async def test_scheduler_extends_the_horizon_once(self, harness: Harness) -> None:
        series = await post_series(harness)
        now = datetime(2030, 4, 1, 10, 0, tzinfo=UTC)
        for expected in (2, 0):
            async with harness.uow() as uow:
                assert await extend_series(uow, now) == expected
                await uow.commit()
        assert await session_starts(harness, series["id"]) == [
            *FIRST_SESSIONS,
            "2030-05-28T07:30:00Z",
            "2030-06-11T07:30:00Z",
        ]

    async def test_series_ends_with_its_validity(self, harness: Harness) -> None:
        series = await post_series(harness, valid_until="2030-03-31")
        assert series["session_count"] == 2
        async with harness.uow() as uow:
            assert await extend_series(uow, datetime(2030, 3, 20, tzinfo=UTC)) == 0
            await uow.commit()

    async def test_series_started_in_the_past_begins_today(self, harness: Harness) -> None:
        """A series created on 2030-03-20 valid since January has no sessions before then."""
        cmd = CreateSeries(
            location="WITTEN",
            place="Agentur für Arbeit Witten, Bergerstraße 24, Raum 112",
            rule=SeriesRule(Weekday.TU, (2, 4), time(9, 30)),
            capacity=20,
            agentur_org=AGENCY,
            jobcenter_org=JOBCENTER,
            co_hosts=[
                CoHost(AGENCY, "placement_officer", "Team 421", None),
                CoHost(JOBCENTER, "integration_coach", "Team Witten", None),
            ],
            valid_from=date(2030, 1, 1),
            valid_until=None,
        )
        actor = Principal(subject="test", org=AGENCY, scopes=frozenset())
        answer = await create_series(
            harness.uow(),
            actor,
            cmd,
            lambda series, count: Answer(201, json.dumps({"id": str(series.id)})),
            now=datetime(2030, 3, 20, 12, 0, tzinfo=UTC),
        )
        series_id = json.loads(answer.body_json)["id"]
        # Horizon: 2030-03-20 + 12 weeks = 2030-06-12.
        assert await session_starts(harness, series_id) == [
            "2030-03-26T08:30:00Z",
            "2030-04-09T07:30:00Z",
            "2030-04-23T07:30:00Z",
            "2030-05-14T07:30:00Z",
            "2030-05-28T07:30:00Z",
            "2030-06-11T07:30:00Z",
        ]

    async def test_third_organisation_gets_404(self, harness: Harness) -> None:
        series = await post_series(harness)
        response = await harness.client.get(
            f"/v1/info-session-series/{series['id']}", headers=harness.auth(OTHER)
        )
        assert response.status_code == 404
        own = await harness.client.get(
            f"/v1/info-session-series/{series['id']}", headers=harness.auth(JOBCENTER)
        )
        assert own.status_code == 200
        assert {c["role"] for c in own.json()["co_hosts"]} == {
            "placement_officer",
            "integration_coach",
        }

    async def test_co_hosts_must_be_the_two_roles(self, harness: Harness) -> None:
        response = await harness.client.post(
            "/v1/info-session-series",
            json={
                **SERIES,
                "co_hosts": [
                    {"org": AGENCY, "role": "integration_coach", "name": "Team 421"},
                    {"org": JOBCENTER, "role": "placement_officer", "name": "Team Witten"},
                ],
            },
            headers=harness.auth(AGENCY),
        )
        assert response.status_code == 422
        assert response.json()["type"].endswith("invalid-co-hosts")

    async def test_idempotency_key_creates_one_series(self, harness: Harness) -> None:
        headers = {**harness.auth(AGENCY), "Idempotency-Key": "series-witten-2030"}
        first = await harness.client.post("/v1/info-session-series", json=SERIES, headers=headers)
        again = await harness.client.post("/v1/info-session-series", json=SERIES, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert await session_starts(harness, first.json()["id"]) == FIRST_SESSIONS


class TestInvitationsForBothHosts:
    async def test_owner_and_co_host_see_it_third_organisation_does_not(
        self, harness: Harness
    ) -> None:
        await post_series(harness)
        case_id, invitation = await seated_invitation(harness)
        for org in (AGENCY, JOBCENTER):
            listed = await harness.client.get(
                "/v1/invitations", params={"case_id": str(case_id)}, headers=harness.auth(org)
            )
            assert [i["id"] for i in listed.json()["items"]] == [invitation["id"]]
            of_session = await harness.client.get(
                f"/v1/info-sessions/{invitation['session_id']}/invitations",
                headers=harness.auth(org),
            )
            assert [i["id"] for i in of_session.json()["items"]] == [invitation["id"]]
        other = await harness.client.get(
            "/v1/invitations", params={"case_id": str(case_id)}, headers=harness.auth(OTHER)
        )
        assert other.json()["items"] == []
        for path in (
            f"/v1/invitations/{invitation['id']}",
            f"/v1/info-sessions/{invitation['session_id']}/invitations",
        ):
            response = await harness.client.get(path, headers=harness.auth(OTHER))
            assert response.status_code == 404, path

    async def test_invitation_webhook_names_the_session(self, harness: Harness) -> None:
        await harness.subscribe(AGENCY, ["transition.upcoming"])
        await post_series(harness)
        _, invitation = await seated_invitation(harness)
        async with harness.uow() as uow:
            payload = await uow.session.scalar(
                select(Delivery.payload).where(Delivery.topic == "transition.upcoming")
            )
        assert payload is not None
        data = json.loads(payload)["data"]
        assert data["session_id"] == invitation["session_id"]
        assert data["session_starts_at"].startswith("2030-03-12T08:30")
        assert data["session_location"] == "WITTEN"
        assert data["session_place"] == SERIES["place"]


class TestAttendance:
    async def test_either_host_records_it_with_if_match(self, harness: Harness) -> None:
        await post_series(harness)
        _, invitation = await seated_invitation(harness)
        path = f"/v1/invitations/{invitation['id']}/attendance"
        body = {"attendance": "excused"}
        missing = await harness.client.put(path, json=body, headers=harness.auth(AGENCY))
        assert missing.status_code == 428
        first = await harness.client.put(
            path, json=body, headers={**harness.auth(AGENCY), "If-Match": '"1"'}
        )
        assert first.status_code == 200
        assert first.headers["ETag"] == '"2"'
        stale = await harness.client.put(
            path,
            json={"attendance": "attended"},
            headers={**harness.auth(JOBCENTER), "If-Match": '"1"'},
        )
        assert stale.status_code == 412
        second = await harness.client.put(
            path,
            json={"attendance": "attended"},
            headers={**harness.auth(JOBCENTER), "If-Match": '"2"'},
        )
        assert second.status_code == 200
        assert second.json()["attendance"] == "attended"
        assert second.json()["attendance_recorded_by"] == JOBCENTER
        other = await harness.client.put(
            path, json=body, headers={**harness.auth(OTHER), "If-Match": '"3"'}
        )
        assert other.status_code == 404

    async def test_pending_invitation_has_no_attendance(self, harness: Harness) -> None:
        case_id = uuid.uuid4()
        event = upcoming(case_id, invitation_date=date(2030, 3, 1), alg1_end_date=date(2030, 6, 1))
        assert await harness.consume(event) == "processed"
        listed = await harness.client.get(
            "/v1/invitations", params={"case_id": str(case_id)}, headers=harness.auth(AGENCY)
        )
        (invitation,) = listed.json()["items"]
        response = await harness.client.put(
            f"/v1/invitations/{invitation['id']}/attendance",
            json={"attendance": "attended"},
            headers={**harness.auth(AGENCY), "If-Match": '"1"'},
        )
        assert response.status_code == 422
        assert response.json()["type"].endswith("attendance-not-possible")


class TestConsultationBooking:
    async def test_needs_attendance_first(self, harness: Harness) -> None:
        await post_series(harness)
        _, invitation = await seated_invitation(harness)
        response = await book(
            harness, invitation["id"], "2030-03-19T10:00:00+01:00", "2030-03-19T10:45:00+01:00"
        )
        assert response.status_code == 422
        assert response.json()["type"].endswith("consultation-needs-attendance")

    async def test_within_four_weeks_of_the_session(self, harness: Harness) -> None:
        await post_series(harness)
        case_id, invitation = await seated_invitation(harness)
        await attend(harness, invitation["id"])
        # Session 2030-03-12: the last day is 2030-04-09 (28 days), local time in Germany.
        late = await book(
            harness, invitation["id"], "2030-04-10T09:00:00+02:00", "2030-04-10T09:45:00+02:00"
        )
        assert late.status_code == 422
        assert late.json()["type"].endswith("consultation-outside-window")
        early = await book(
            harness, invitation["id"], "2030-03-11T09:00:00+01:00", "2030-03-11T09:45:00+01:00"
        )
        assert early.status_code == 422
        assert early.json()["type"].endswith("consultation-outside-window")
        booked = await book(
            harness, invitation["id"], "2030-04-09T23:00:00+02:00", "2030-04-09T23:30:00+02:00"
        )
        assert booked.status_code == 201, booked.text
        consultation = booked.json()
        assert consultation["status"] == "booked"
        assert (consultation["agentur_org"], consultation["jobcenter_org"]) == (AGENCY, JOBCENTER)
        for org in (AGENCY, JOBCENTER):
            listed = await harness.client.get(
                "/v1/consultations", params={"case_id": str(case_id)}, headers=harness.auth(org)
            )
            assert [c["id"] for c in listed.json()["items"]] == [consultation["id"]]
        other = await harness.client.get(
            "/v1/consultations", params={"case_id": str(case_id)}, headers=harness.auth(OTHER)
        )
        assert other.json()["items"] == []
        hidden = await harness.client.get(
            f"/v1/consultations/{consultation['id']}", headers=harness.auth(OTHER)
        )
        assert hidden.status_code == 404

    async def test_idempotency_key_books_once(self, harness: Harness) -> None:
        await post_series(harness)
        case_id, invitation = await seated_invitation(harness)
        await attend(harness, invitation["id"])
        body = {
            "invitation_id": invitation["id"],
            "starts_at": "2030-03-19T10:00:00+01:00",
            "ends_at": "2030-03-19T10:45:00+01:00",
        }
        headers = {**harness.auth(AGENCY), "Idempotency-Key": "consultation-1"}
        first = await harness.client.post("/v1/consultations", json=body, headers=headers)
        again = await harness.client.post("/v1/consultations", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        listed = await harness.client.get(
            "/v1/consultations", params={"case_id": str(case_id)}, headers=harness.auth(AGENCY)
        )
        assert len(listed.json()["items"]) == 1

    async def test_held_is_recorded_once_with_if_match(self, harness: Harness) -> None:
        await post_series(harness)
        _, invitation = await seated_invitation(harness)
        await attend(harness, invitation["id"])
        booked = await book(
            harness, invitation["id"], "2030-03-19T10:00:00+01:00", "2030-03-19T10:45:00+01:00"
        )
        path = f"/v1/consultations/{booked.json()['id']}/outcome"
        missing = await harness.client.post(
            path, json={"status": "held"}, headers=harness.auth(AGENCY)
        )
        assert missing.status_code == 428
        held = await harness.client.post(
            path, json={"status": "held"}, headers={**harness.auth(AGENCY), "If-Match": '"1"'}
        )
        assert held.status_code == 200
        assert held.json()["status"] == "held"
        again = await harness.client.post(
            path,
            json={"status": "cancelled"},
            headers={**harness.auth(JOBCENTER), "If-Match": '"2"'},
        )
        assert again.status_code == 409
        assert again.json()["type"].endswith("consultation-already-final")


class TestConsultationOverdue:
    async def test_reported_once_the_day_after_the_four_weeks(self, harness: Harness) -> None:
        await post_series(harness)
        _, invitation = await seated_invitation(harness)
        await attend(harness, invitation["id"])
        # Due 2030-04-09: still in time at 23:00 in Germany, overdue on 2030-04-10.
        for now, reported in (
            (datetime(2030, 4, 9, 21, 0, tzinfo=UTC), 0),
            (datetime(2030, 4, 9, 22, 0, tzinfo=UTC), 1),
            (datetime(2030, 4, 11, 8, 0, tzinfo=UTC), 0),
        ):
            async with harness.uow() as uow:
                assert await report_overdue_consultations(uow, now) == reported
                await uow.commit()
        assert await outbox_overdue_rows(harness) == 1

    async def test_held_consultation_is_not_overdue(self, harness: Harness) -> None:
        await post_series(harness)
        _, invitation = await seated_invitation(harness)
        await attend(harness, invitation["id"])
        booked = await book(
            harness, invitation["id"], "2030-03-19T10:00:00+01:00", "2030-03-19T10:45:00+01:00"
        )
        await harness.client.post(
            f"/v1/consultations/{booked.json()['id']}/outcome",
            json={"status": "held"},
            headers={**harness.auth(JOBCENTER), "If-Match": '"1"'},
        )
        async with harness.uow() as uow:
            assert await report_overdue_consultations(uow, datetime(2030, 5, 1, tzinfo=UTC)) == 0
            await uow.commit()
        assert await outbox_overdue_rows(harness) == 0

    async def test_no_show_is_not_overdue(self, harness: Harness) -> None:
        await post_series(harness)
        _, invitation = await seated_invitation(harness)
        response = await harness.client.put(
            f"/v1/invitations/{invitation['id']}/attendance",
            json={"attendance": "no_show"},
            headers={**harness.auth(AGENCY), "If-Match": '"1"'},
        )
        assert response.status_code == 200
        async with harness.uow() as uow:
            assert await report_overdue_consultations(uow, datetime(2030, 5, 1, tzinfo=UTC)) == 0
            await uow.commit()
