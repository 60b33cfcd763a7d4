"""ORM tables of eligibility_api (one database of its own)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Date, String, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.base import TYPE_ANNOTATION_MAP, BigIntId, make_metadata
from shared.db.tables import add_infrastructure_tables

metadata = make_metadata()
add_infrastructure_tables(metadata)


class Base(DeclarativeBase):
    """Declarative base bound to the service metadata."""

    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = TYPE_ANNOTATION_MAP


class EligibilityCheck(Base):
    """One evaluation: the facts as given and the decision as answered (never recomputed)."""

    __tablename__ = "eligibility_checks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_org: Mapped[str] = mapped_column(String(100), index=True)
    # api: POST /v1/eligibility/checks; case: case.registered/updated; handover: handover.requested
    origin: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    handover_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    as_of: Mapped[date] = mapped_column(Date)
    facts: Mapped[dict[str, Any]]
    decision: Mapped[dict[str, Any]]
    legal_domain: Mapped[str] = mapped_column(String(20))
    rules_version: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]


class CaseFacts(Base):
    """Projection of case.registered/case.updated: the latest facts of each case."""

    __tablename__ = "case_facts"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_org: Mapped[str] = mapped_column(String(100))
    municipality: Mapped[str | None] = mapped_column(String(100))
    facts: Mapped[dict[str, Any]]
    # Forecast by the engine on the day the facts arrived; drives the transition scheduler.
    alg1_end_date: Mapped[date | None] = mapped_column(Date, index=True)
    # Event time (registered_at/updated_at) of the facts held; older events are not applied.
    facts_changed_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ScheduledTransition(Base):
    """A transition.upcoming that was staged; the unique key makes it once per end date."""

    __tablename__ = "scheduled_transitions"
    __table_args__ = (
        UniqueConstraint(
            "case_id", "alg1_end_date", name="uq_scheduled_transitions_case_id_alg1_end_date"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    alg1_end_date: Mapped[date] = mapped_column(Date)
    invitation_date: Mapped[date] = mapped_column(Date)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    scheduled_at: Mapped[datetime]
