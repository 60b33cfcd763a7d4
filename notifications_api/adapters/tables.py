"""ORM tables of notifications_api, plus the shared infrastructure tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.base import BigIntId, JSONType, UTCDateTime, make_metadata
from shared.db.tables import TRACEPARENT_LENGTH, add_infrastructure_tables

metadata = make_metadata()
add_infrastructure_tables(metadata)


class Base(DeclarativeBase):
    """Declarative base bound to this service's metadata."""

    metadata = metadata


class Subscription(Base):
    """A webhook endpoint of one organisation for a set of topics."""

    __tablename__ = "subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    org: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(JSONType)
    description: Mapped[str | None] = mapped_column(String(500))
    # Needed in clear to sign every attempt; never returned after creation.
    secret: Mapped[str] = mapped_column(String(200))
    # The secret before the last rotation: attempts are signed with it too until it expires.
    old_secret: Mapped[str | None] = mapped_column(String(200))
    old_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # active | disabled (the receiver answered 410 Gone); see domain.deliveries.
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_subscriptions_org_created", "org", "created_at", "id"),)


class Delivery(Base):
    """One event for one subscription; `id` is the stable `webhook-id` across retries."""

    __tablename__ = "deliveries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"))
    org: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    # The exact body of every attempt (structured-mode CloudEvent JSON).
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts_in_round: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Claim lease: taken with FOR UPDATE SKIP LOCKED, held while the request is in flight.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The trace context of the consumer that stored it: every attempt's client span is its
    # child and sends its own `traceparent` to the receiver.
    traceparent: Mapped[str | None] = mapped_column(String(TRACEPARENT_LENGTH))

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_subscription_event"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_org_created", "org", "created_at", "id"),
    )


class DeliveryAttempt(Base):
    """One HTTP attempt of a delivery: status code or error, and its duration."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempt_number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[float] = mapped_column(Float)


class InfoSession(Base):
    """A joint info session (Agentur placement officer + Jobcenter coach), domain.md R1."""

    __tablename__ = "info_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    location: Mapped[str] = mapped_column(String(50))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    # Seats taken; only grows through `booked < capacity` conditional updates.
    booked: Mapped[int] = mapped_column(Integer, default=0)
    agentur_org: Mapped[str] = mapped_column(String(100))
    jobcenter_org: Mapped[str] = mapped_column(String(100))
    created_by_org: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set for sessions materialised from a series; one session per series and day.
    series_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("info_session_series.id"))
    place: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_info_sessions_location_starts", "location", "starts_at"),
        UniqueConstraint("series_id", "starts_at", name="uq_info_sessions_series_start"),
    )


class InfoSessionSeries(Base):
    """A rule that materialises joint info sessions (e.g. 2nd and 4th Tuesday, 09:30)."""

    __tablename__ = "info_session_series"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    location: Mapped[str] = mapped_column(String(50))
    place: Mapped[str] = mapped_column(String(200))
    weekday: Mapped[str] = mapped_column(String(2))
    weeks_of_month: Mapped[list[int]] = mapped_column(JSONType)
    start_time: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)
    agentur_org: Mapped[str] = mapped_column(String(100))
    jobcenter_org: Mapped[str] = mapped_column(String(100))
    # Staff of each host (role and contact), not data about the invited people.
    co_hosts: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # Sessions exist up to this day; the scheduler moves it forward.
    materialised_until: Mapped[date] = mapped_column(Date)
    created_by_org: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_info_session_series_until", "materialised_until"),)


class Invitation(Base):
    """An invitation of a case (pseudonymous id only) to an info session."""

    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    owner_org: Mapped[str] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(50))
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("info_sessions.id"))
    status: Mapped[str] = mapped_column(String(20))
    invitation_date: Mapped[date] = mapped_column(Date)
    alg1_end_date: Mapped[date] = mapped_column(Date)
    session_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consultation_due_date: Mapped[date | None] = mapped_column(Date)
    source_event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # attended | no_show | excused, recorded by either host (domain.consultations).
    attendance: Mapped[str | None] = mapped_column(String(20))
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_recorded_by: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # When consultation.overdue was staged for it: at most once per invitation.
    consultation_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_invitations_owner_case", "owner_org", "case_id"),
        Index("ix_invitations_status_location", "status", "location"),
        Index("ix_invitations_session", "session_id"),
    )


class Consultation(Base):
    """The individual consultation after an attended info session (domain.md R2)."""

    __tablename__ = "consultations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    invitation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invitations.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("info_sessions.id"))
    owner_org: Mapped[str] = mapped_column(String(100))
    agentur_org: Mapped[str] = mapped_column(String(100))
    jobcenter_org: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))
    place: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    created_by_org: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_consultations_invitation", "invitation_id"),
        Index("ix_consultations_case_created", "case_id", "created_at", "id"),
    )


class Notice(Base):
    """A notice to the person (domain.notices): the rendered letter and how it was sent.

    The document holds personal data (name, address); the row's other columns do not, so
    only reading the document is audited (`notice_reads`).
    """

    __tablename__ = "notices"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The organisation that sends it and may read it.
    org: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    # email | letter; None until the contact data was read.
    channel: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # What the template needs besides the contact data: dates, organisations, types.
    facts: Mapped[dict[str, object]] = mapped_column(JSONType)
    # The event that triggered it (one notice per event and kind); None when requested.
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    template_version: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    html: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("source_event_id", "kind", name="uq_notices_source_event_kind"),
        Index("ix_notices_org_case_created", "org", "case_id", "created_at", "id"),
        Index("ix_notices_due", "status", "next_attempt_at"),
    )


class NoticeRead(Base):
    """Audit trail of reads of a notice's document (it carries personal data)."""

    __tablename__ = "notice_reads"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notices.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    org: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
