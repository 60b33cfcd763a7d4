"""ORM tables of notifications_api, plus the shared infrastructure tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.base import BigIntId, JSONType, UTCDateTime, make_metadata
from shared.db.tables import add_infrastructure_tables

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

    __table_args__ = (Index("ix_info_sessions_location_starts", "location", "starts_at"),)


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

    __table_args__ = (
        Index("ix_invitations_owner_case", "owner_org", "case_id"),
        Index("ix_invitations_status_location", "status", "location"),
    )
