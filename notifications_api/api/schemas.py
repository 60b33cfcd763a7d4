"""HTTP request and response bodies (separate from tables and from events)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from notifications_api.domain.deliveries import DeliveryStatus, SubscriptionStatus
from notifications_api.domain.invitations import LOCATION_PATTERN, InvitationStatus
from notifications_api.domain.routing import EventTopic
from shared.pagination import Page
from shared.strict import CleanText, RangedAwareDatetime

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
        min_length=1, max_length=6, description="Topic names, e.g. `case.transferred`"
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


class SubscriptionRead(Schema):
    """A webhook subscription (without its secret)."""

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


class SubscriptionCreated(SubscriptionRead):
    """The new subscription with its signing secret: shown only in this response."""

    secret: str = Field(
        description="Standard Webhooks secret (`whsec_` + base64); verify `webhook-signature`"
    )


class SubscriptionEnable(RequestSchema):
    """Options of enabling a disabled subscription."""

    redeliver_disabled: bool = Field(
        default=False,
        description="Also queue again the deliveries that ended when it was disabled "
        "(same `webhook-id`s)",
    )


class DeliveryAttemptRead(Schema):
    """One HTTP attempt."""

    attempt_number: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryRead(Schema):
    """A delivery of one event to one subscription; `id` is the `webhook-id` header."""

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

    id: uuid.UUID
    location: str
    starts_at: datetime
    capacity: int
    booked: int
    agentur_org: str
    jobcenter_org: str
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def free_seats(self) -> int:
        """Seats still free."""
        return max(self.capacity - self.booked, 0)


class InvitationRead(Schema):
    """An info-session invitation of a case; pending means no session had a free seat."""

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


SubscriptionPage = Page[SubscriptionRead]
DeliveryPage = Page[DeliveryRead]
InfoSessionPage = Page[InfoSessionRead]
InvitationPage = Page[InvitationRead]
