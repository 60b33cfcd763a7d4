"""HTTP request and response bodies (separate from tables and from events)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from notifications_api.domain.consultations import (
    Attendance,
    ConsultationChannel,
    ConsultationStatus,
)
from notifications_api.domain.deliveries import DeliveryStatus, SubscriptionStatus
from notifications_api.domain.invitations import LOCATION_PATTERN, InvitationStatus
from notifications_api.domain.notices import NoticeChannel, NoticeKind, NoticeStatus
from notifications_api.domain.routing import DELIVERABLE_TOPICS, EventTopic
from notifications_api.domain.series import CoHostRole, Weekday
from shared.pagination import Page
from shared.strict import CleanText, RangedAwareDatetime, RangedDate

OrgId = Annotated[str, StringConstraints(min_length=2, max_length=100, pattern=r"^[a-z0-9-]+$")]


class Schema(BaseModel):
    """Responses: built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class RequestSchema(BaseModel):
    """Requests: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class SubscriptionCreate(RequestSchema):
    """A webhook endpoint and the topics it wants."""

    url: CleanText = Field(
        min_length=8,
        max_length=2048,
        description="Receiver URL; https only in production, no private addresses",
    )
    event_types: list[EventTopic] = Field(
        min_length=1,
        max_length=len(DELIVERABLE_TOPICS),
        description="Topic names, e.g. `case.transferred`",
    )
    description: CleanText | None = Field(
        default=None, max_length=500, description="What the endpoint is (no personal data)"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "http://127.0.0.1:9000/webhooks/handover",
                    "event_types": ["case.transferred", "handover.requested"],
                    "description": "Fachverfahren inbound endpoint",
                }
            ]
        },
    )


SUBSCRIPTION_READ_EXAMPLE: dict[str, Any] = {
    "id": "2c7e9a41-6b3d-4f8e-a1c5-9d0b7e6f5a42",
    "url": "http://127.0.0.1:9000/webhooks/handover",
    "event_types": ["case.transferred", "handover.requested"],
    "description": "Fachverfahren inbound endpoint",
    "created_at": "2026-02-01T08:00:00Z",
    "status": "active",
    "disabled_at": None,
    "disabled_reason": None,
    "old_secret_expires_at": None,
}


class SubscriptionRead(Schema):
    """A webhook subscription (without its secret)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [SUBSCRIPTION_READ_EXAMPLE]}
    )

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    created_at: datetime
    status: SubscriptionStatus = Field(
        description="`disabled` after the receiver answered 410 Gone: nothing is delivered "
        "until the organisation enables it again (`POST /v1/subscriptions/{id}/enable`)"
    )
    disabled_at: datetime | None = Field(description="When it was disabled (null while active)")
    disabled_reason: str | None = Field(
        description="Why it was disabled: `receiver_gone` (the endpoint answered 410 Gone)"
    )
    old_secret_expires_at: datetime | None = Field(
        default=None,
        description="After a secret rotation: until when the previous secret still signs "
        "deliveries beside the current one (null if never rotated)",
    )


class SubscriptionCreated(SubscriptionRead):
    """The new subscription with its signing secret: shown only in this response."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **SUBSCRIPTION_READ_EXAMPLE,
                    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                }
            ]
        },
    )

    secret: str = Field(
        description="Standard Webhooks secret (`whsec_` + base64); verify `webhook-signature`"
    )


class SecretRotation(RequestSchema):
    """How long the current secret keeps signing after the rotation."""

    old_secret_expires_at: RangedAwareDatetime | None = Field(
        default=None,
        description="Until when deliveries also carry a signature with the current secret: "
        "between now and 7 days from now; default 24 hours from now",
    )

    model_config = ConfigDict(
        extra="forbid",
        # Empty: the old secret stays valid 24 hours. A fixed date would stop being within
        # the next 7 days, and the example would no longer work.
        json_schema_extra={"examples": [{}]},
    )


class SecretRotated(Schema):
    """The new signing secret: shown only in this response."""

    id: uuid.UUID = Field(description="The subscription")
    secret: str = Field(
        description="The new Standard Webhooks secret (`whsec_` + base64); it signs every "
        "delivery from now on"
    )
    old_secret_expires_at: datetime = Field(
        description="Until then deliveries carry two signatures (`v1,<new> v1,<old>`)"
    )

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c2d7e-3b4a-4c5d-8e9f-0a1b2c3d4e5f",
                    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    "old_secret_expires_at": "2026-03-13T09:00:00Z",
                }
            ]
        },
    )


class SubscriptionEnable(RequestSchema):
    """Options of enabling a disabled subscription."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"redeliver_disabled": True}]}
    )

    redeliver_disabled: bool = Field(
        default=False,
        description="Also queue again the deliveries that ended when it was disabled "
        "(same `webhook-id`s)",
    )


DELIVERY_ATTEMPT_EXAMPLE: dict[str, Any] = {
    "attempt_number": 1,
    "attempted_at": "2026-03-02T10:00:03Z",
    "status_code": 204,
    "error": None,
    "duration_ms": 41.7,
}

DELIVERY_READ_EXAMPLE: dict[str, Any] = {
    "id": "7a3e5c9b-1d2f-4e6a-8b0c-3d4e5f6a7b8c",
    "subscription_id": "2c7e9a41-6b3d-4f8e-a1c5-9d0b7e6f5a42",
    "event_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    "event_type": "de.handover.case.transferred.v1",
    "topic": "case.transferred",
    "subject": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
    "status": "succeeded",
    "attempt_count": 1,
    "next_attempt_at": None,
    "last_status_code": 204,
    "last_error": None,
    "created_at": "2026-03-02T10:00:02Z",
    "updated_at": "2026-03-02T10:00:03Z",
    "completed_at": "2026-03-02T10:00:03Z",
}


class DeliveryAttemptRead(Schema):
    """One HTTP attempt."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [DELIVERY_ATTEMPT_EXAMPLE]}
    )

    attempt_number: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryRead(Schema):
    """A delivery of one event to one subscription; `id` is the `webhook-id` header."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [DELIVERY_READ_EXAMPLE]}
    )

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    topic: str
    subject: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None = Field(
        description="Why the last attempt failed (`http_500`, `timeout`, ...) or why the "
        "delivery ended unsent (`subscription_disabled`, `subscription_deleted`)"
    )
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class DeliveryDetail(DeliveryRead):
    """A delivery with all its attempts, oldest first."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{**DELIVERY_READ_EXAMPLE, "attempts": [DELIVERY_ATTEMPT_EXAMPLE]}]
        },
    )

    attempts: list[DeliveryAttemptRead]


class InfoSessionCreate(RequestSchema):
    """A joint info session of an Agentur and a Jobcenter (domain.md R1)."""

    location: Annotated[str, StringConstraints(pattern=LOCATION_PATTERN)] = Field(
        description="Location code, e.g. WITTEN, GEVELSBERG, MUENSTER"
    )
    starts_at: RangedAwareDatetime
    capacity: int = Field(ge=1, le=1000)
    agentur_org: OrgId
    jobcenter_org: OrgId

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "location": "WITTEN",
                    "starts_at": "2030-02-04T09:00:00+01:00",
                    "capacity": 25,
                    "agentur_org": "agentur-hagen",
                    "jobcenter_org": "jobcenter-ennepe-ruhr",
                }
            ]
        },
    )


class InfoSessionRead(Schema):
    """An info session and its seats."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                    "location": "Witten",
                    "starts_at": "2026-03-10T09:00:00+01:00",
                    "capacity": 20,
                    "booked": 12,
                    "agentur_org": "agentur-hagen",
                    "jobcenter_org": "jobcenter-ennepe-ruhr",
                    "created_at": "2026-02-01T08:00:00Z",
                    "series_id": None,
                    "place": "Agentur für Arbeit Witten, Ruhrstraße 24, Raum 1.12",
                    "free_seats": 8,
                }
            ]
        },
    )

    id: uuid.UUID
    location: str
    starts_at: datetime
    capacity: int
    booked: int
    agentur_org: str
    jobcenter_org: str
    created_at: datetime
    series_id: uuid.UUID | None = Field(
        default=None, description="The series the session was materialised from, if any"
    )
    place: str | None = Field(default=None, description="Where exactly, e.g. the address")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def free_seats(self) -> int:
        """Seats still free."""
        return max(self.capacity - self.booked, 0)


class InvitationRead(Schema):
    """An info-session invitation of a case; pending means no session had a free seat."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "e4d3c2b1-a0f9-4e8d-b7c6-5a4b3c2d1e0f",
                    "case_id": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
                    "location": "Witten",
                    "status": "scheduled",
                    "session_id": "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                    "session_starts_at": "2026-03-10T09:00:00+01:00",
                    "consultation_due_date": "2026-04-07",
                    "invitation_date": "2026-01-30",
                    "alg1_end_date": "2026-04-30",
                    "created_at": "2026-01-30T06:00:00Z",
                    "updated_at": "2026-01-30T06:00:00Z",
                    "attendance": None,
                    "attendance_recorded_at": None,
                    "attendance_recorded_by": None,
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    case_id: uuid.UUID
    location: str | None
    status: InvitationStatus
    session_id: uuid.UUID | None
    session_starts_at: datetime | None
    consultation_due_date: date | None = Field(
        description="Individual consultation due: session date + 28 days (domain.md R2)"
    )
    invitation_date: date
    alg1_end_date: date
    created_at: datetime
    updated_at: datetime
    attendance: Attendance | None = Field(
        default=None, description="Recorded by either host after the session"
    )
    attendance_recorded_at: datetime | None = None
    attendance_recorded_by: str | None = Field(
        default=None, description="The organisation that recorded the attendance"
    )
    version: int = Field(default=1, description="Also the ETag; send it in If-Match")


SubscriptionPage = Page[SubscriptionRead]
DeliveryPage = Page[DeliveryRead]
InfoSessionPage = Page[InfoSessionRead]
InvitationPage = Page[InvitationRead]


PlaceText = Annotated[CleanText, StringConstraints(min_length=2, max_length=200)]


class CoHostIn(RequestSchema):
    """A host's staff member for the series (a role of the institution, not a client)."""

    org: OrgId
    role: CoHostRole = Field(
        description="`placement_officer` for the Agentur, `integration_coach` for the Jobcenter"
    )
    name: Annotated[CleanText, StringConstraints(min_length=2, max_length=100)] = Field(
        description="Name or team of the staff member, e.g. Arbeitsvermittlung Team 421"
    )
    contact: Annotated[CleanText, StringConstraints(max_length=200)] | None = Field(
        default=None, description="Office phone or functional mailbox"
    )


class InfoSessionSeriesCreate(RequestSchema):
    """Joint info sessions by rule, e.g. the 2nd and 4th Tuesday of each month at 09:30."""

    location: Annotated[str, StringConstraints(pattern=LOCATION_PATTERN)] = Field(
        description="Location code, e.g. WITTEN"
    )
    place: PlaceText = Field(description="Where the sessions take place")
    weekday: Weekday
    weeks_of_month: list[Annotated[int, Field(ge=-1, le=5)]] = Field(
        min_length=1, max_length=5, description="Which of the month's weekdays: 1..5, -1 the last"
    )
    start_time: time = Field(description="Local time in Germany")
    capacity: int = Field(ge=1, le=1000)
    agentur_org: OrgId
    jobcenter_org: OrgId
    co_hosts: list[CoHostIn] = Field(
        min_length=2, max_length=2, description="The placement officer and the integration coach"
    )
    valid_from: RangedDate = Field(description="First day sessions may fall on")
    valid_until: RangedDate | None = Field(
        default=None, description="Last day sessions may fall on (open-ended when absent)"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "location": "WITTEN",
                    "place": "Agentur für Arbeit Witten, Bergerstraße 24, Raum 112",
                    "weekday": "TU",
                    "weeks_of_month": [2, 4],
                    "start_time": "09:30:00",
                    "capacity": 20,
                    "agentur_org": "agentur-hagen",
                    "jobcenter_org": "jobcenter-ennepe-ruhr",
                    "co_hosts": [
                        {
                            "org": "agentur-hagen",
                            "role": "placement_officer",
                            "name": "Arbeitsvermittlung Team 421",
                            "contact": "Hagen.421-Vermittlung@arbeitsagentur.de",
                        },
                        {
                            "org": "jobcenter-ennepe-ruhr",
                            "role": "integration_coach",
                            "name": "Integrationsfachkräfte Witten",
                            "contact": "02302 0000-0",
                        },
                    ],
                    "valid_from": "2030-03-01",
                    "valid_until": "2030-12-31",
                }
            ]
        },
    )


class CoHostRead(Schema):
    """A co-host of a series."""

    org: str
    role: CoHostRole
    name: str
    contact: str


class InfoSessionSeriesRead(Schema):
    """A series of joint sessions; its sessions are listed at `/v1/info-sessions?series_id=`."""

    id: uuid.UUID
    location: str
    place: str
    weekday: Weekday
    weeks_of_month: list[int]
    start_time: time
    capacity: int
    agentur_org: str
    jobcenter_org: str
    co_hosts: list[CoHostRead]
    valid_from: date
    valid_until: date | None
    materialised_until: date = Field(description="Sessions exist up to this day")
    session_count: int = Field(description="Sessions materialised so far")
    created_at: datetime

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f0c3a52-2d1e-4c59-9a57-2f8e0b7c1d11",
                    "location": "WITTEN",
                    "place": "Agentur für Arbeit Witten, Bergerstraße 24, Raum 112",
                    "weekday": "TU",
                    "weeks_of_month": [2, 4],
                    "start_time": "09:30:00",
                    "capacity": 20,
                    "agentur_org": "agentur-hagen",
                    "jobcenter_org": "jobcenter-ennepe-ruhr",
                    "co_hosts": [
                        {
                            "org": "agentur-hagen",
                            "role": "placement_officer",
                            "name": "Arbeitsvermittlung Team 421",
                            "contact": "",
                        },
                        {
                            "org": "jobcenter-ennepe-ruhr",
                            "role": "integration_coach",
                            "name": "Integrationsfachkräfte Witten",
                            "contact": "",
                        },
                    ],
                    "valid_from": "2030-03-01",
                    "valid_until": "2030-12-31",
                    "materialised_until": "2030-05-24",
                    "session_count": 5,
                    "created_at": "2030-02-01T08:00:00Z",
                }
            ]
        },
    )


class AttendanceUpdate(RequestSchema):
    """Whether the person came to the session."""

    attendance: Attendance

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"attendance": "attended"}]}
    )


class ConsultationCreate(RequestSchema):
    """The individual consultation within four weeks of the attended session (R2)."""

    invitation_id: uuid.UUID
    starts_at: RangedAwareDatetime
    ends_at: RangedAwareDatetime
    channel: ConsultationChannel = ConsultationChannel.IN_PERSON
    place: PlaceText | None = Field(default=None, description="Room or address, if in person")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "invitation_id": "6b1d2c3e-4f50-4a61-8b72-9c83d4e5f601",
                    "starts_at": "2030-03-19T10:00:00+01:00",
                    "ends_at": "2030-03-19T10:45:00+01:00",
                    "channel": "in_person",
                    "place": "Jobcenter EN, Standort Witten, Raum 2.14",
                }
            ]
        },
    )


class ConsultationOutcome(RequestSchema):
    """What became of a booked consultation."""

    status: Literal["held", "cancelled", "missed"]

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "held"}]})


class ConsultationRead(Schema):
    """An individual consultation of a case with both institutions."""

    id: uuid.UUID
    invitation_id: uuid.UUID
    case_id: uuid.UUID
    session_id: uuid.UUID
    agentur_org: str
    jobcenter_org: str
    starts_at: datetime
    ends_at: datetime
    channel: ConsultationChannel
    place: str | None
    status: ConsultationStatus
    version: int = Field(description="Also the ETag; send it in If-Match")
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0d9e8f7a-6b5c-4d3e-8f21-0a1b2c3d4e5f",
                    "invitation_id": "6b1d2c3e-4f50-4a61-8b72-9c83d4e5f601",
                    "case_id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                    "session_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "agentur_org": "agentur-hagen",
                    "jobcenter_org": "jobcenter-ennepe-ruhr",
                    "starts_at": "2030-03-19T09:00:00Z",
                    "ends_at": "2030-03-19T09:45:00Z",
                    "channel": "in_person",
                    "place": "Jobcenter EN, Standort Witten, Raum 2.14",
                    "status": "booked",
                    "version": 1,
                    "created_at": "2030-03-12T11:00:00Z",
                    "updated_at": "2030-03-12T11:00:00Z",
                }
            ]
        },
    )


ConsultationPage = Page[ConsultationRead]


DocumentType = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{2,60}$")]


class NoticeTransferFacts(RequestSchema):
    """What a transfer notice says, when the caller states it (no personal data)."""

    from_org: OrgId
    to_org: OrgId
    responsible_from: RangedDate = Field(description="First day the receiver is responsible")
    document_types: list[DocumentType] = Field(
        default_factory=list, max_length=50, description="Types of the documents handed over"
    )
    plan_continues: bool = Field(default=False, description="The integration plan continues")
    measures_count: int = Field(default=0, ge=0, le=200, description="Measures that continue")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "from_org": "agentur-hagen",
                    "to_org": "jobcenter-ennepe-ruhr",
                    "responsible_from": "2026-05-01",
                    "document_types": ["ALG1_BESCHEID", "LEBENSLAUF"],
                    "plan_continues": True,
                    "measures_count": 2,
                }
            ]
        },
    )


class NoticeCreate(RequestSchema):
    """A notice to produce now for a case, from what the service knows or the caller states."""

    case_id: uuid.UUID
    kind: NoticeKind = Field(
        description=(
            "`invitation` (the case's current invitation with a session), "
            "`appointment_confirmation` (its newest consultation), "
            "`change_of_responsibility` or `disclosure_information` (with `transfer`, or again "
            "with the facts of the last one)"
        )
    )
    transfer: NoticeTransferFacts | None = Field(
        default=None,
        description="For the two transfer notices: the facts to state; the caller must be "
        "the source or the receiver",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "case_id": "0b6f8f8e-4f4e-4c43-9a57-6f1f2b7c9d10",
                    "kind": "change_of_responsibility",
                    "transfer": {
                        "from_org": "agentur-hagen",
                        "to_org": "jobcenter-ennepe-ruhr",
                        "responsible_from": "2026-05-01",
                        "document_types": ["ALG1_BESCHEID", "LEBENSLAUF"],
                        "plan_continues": True,
                        "measures_count": 2,
                    },
                }
            ]
        },
    )


class NoticeRead(Schema):
    """A notice to the person: how and when it went out (the document is a separate read)."""

    id: uuid.UUID
    case_id: uuid.UUID
    org: str = Field(description="The organisation that sends it")
    kind: NoticeKind
    channel: NoticeChannel | None = Field(
        description="`email` if the person has an address, `letter` to print; null until rendered"
    )
    status: NoticeStatus = Field(
        description="`pending` → `rendered` (a letter waits for printing) → `sent`, "
        "or `failed` after the bounded attempts"
    )
    attempts: int
    last_error: str | None = Field(
        default=None, description="Code of the last failure, e.g. `smtp_failed`"
    )
    next_attempt_at: datetime | None = Field(default=None, description="When it is tried next")
    template_version: str
    pdf_sha256: str | None = Field(
        description="sha256 of the PDF once it is laid out: when an e-mail is sent with it, "
        "or for a letter at its first download (null until then)"
    )
    created_at: datetime
    rendered_at: datetime | None
    sent_at: datetime | None

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5d0c9b1e-8a55-4f0b-9a3e-2f1c7d6b4a21",
                    "case_id": "0b6f8f8e-4f4e-4c43-9a57-6f1f2b7c9d10",
                    "org": "jobcenter-ennepe-ruhr",
                    "kind": "change_of_responsibility",
                    "channel": "email",
                    "status": "sent",
                    "attempts": 1,
                    "last_error": None,
                    "next_attempt_at": None,
                    "template_version": "change_of_responsibility/1",
                    "pdf_sha256": "9f2b5c1d" + "0" * 56,
                    "created_at": "2026-05-01T08:00:00Z",
                    "rendered_at": "2026-05-01T08:00:02Z",
                    "sent_at": "2026-05-01T08:00:02Z",
                }
            ]
        },
    )


NoticePage = Page[NoticeRead]
