"""ORM tables of handover_api (one database of its own)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from handover_api.domain.case import CaseAggregate, ContactData
from handover_api.domain.documents import DocumentRelease
from handover_api.domain.handover import (
    EligibilityRecord,
    HandoverAggregate,
    Manifest,
    RecordedTrigger,
    Waiver,
)
from handover_api.domain.joint import JointCase, NextStep, Participant
from shared.db.base import TYPE_ANNOTATION_MAP, BigIntId, JSONType, JSONValue, make_metadata
from shared.db.tables import add_infrastructure_tables
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import IntegrationPlanV1

metadata = make_metadata()
add_infrastructure_tables(metadata)


class Base(DeclarativeBase):
    """Declarative base bound to the service metadata."""

    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = TYPE_ANNOTATION_MAP


class Organisation(Base):
    """An Agentur or Jobcenter known to the broker (seeded by migration)."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    legal_domain: Mapped[str] = mapped_column(String(20))
    municipalities: Mapped[list[str]] = mapped_column(JSON)


class Case(Base, CaseAggregate):
    """A person's case; `owner_org` is the organisation responsible now."""

    __tablename__ = "cases"
    __table_args__ = (
        # One case per Kundennummer and creating organisation, held by the database so
        # concurrent creations cannot both pass. created_by_org never changes, so a
        # transfer to an organisation that has a case of the person cannot collide.
        Index(
            "uq_cases_created_by_org_kundennummer", "created_by_org", "kundennummer", unique=True
        ),
        Index("ix_cases_kundennummer", "kundennummer"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_org: Mapped[str] = mapped_column(String(100), index=True)
    created_by_org: Mapped[str] = mapped_column(String(100))
    kundennummer: Mapped[str | None] = mapped_column(String(20))
    municipality: Mapped[str | None] = mapped_column(String(100))
    person: Mapped[ContactData] = mapped_column(JSONValue(ContactData))
    facts: Mapped[EligibilityFactsV1] = mapped_column(JSONValue(EligibilityFactsV1))
    integration_plan: Mapped[IntegrationPlanV1 | None] = mapped_column(
        JSONValue(IntegrationPlanV1), nullable=True
    )
    # The U25 joint case: the partner organisation works the case too (domain/joint.py);
    # joint_partner_org repeats joint.partner_org so the scoped reads can use an index.
    joint: Mapped[JointCase | None] = mapped_column(JSONValue(JointCase), nullable=True)
    joint_partner_org: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseConference(Base):
    """A case conference of a joint case: when, who (organisation and role), what was agreed."""

    __tablename__ = "case_conferences"
    __table_args__ = (Index("ix_case_conferences_case_id_id", "case_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    held_on: Mapped[date] = mapped_column(Date)
    participants: Mapped[tuple[Participant, ...]] = mapped_column(
        JSONValue(tuple[Participant, ...])
    )
    next_steps: Mapped[tuple[NextStep, ...]] = mapped_column(JSONValue(tuple[NextStep, ...]))
    next_review_date: Mapped[date] = mapped_column(Date)
    lead_org: Mapped[str] = mapped_column(String(100))
    recorded_by_org: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]


class Document(Base):
    """Metadata of one uploaded document; the content sits in the blob store by sha256."""

    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    special_category: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_basis: Mapped[str | None] = mapped_column(String(100))
    # A special-category document leaves the source only with a legal basis given on upload
    # or a release recorded later (legal basis or consent: who, when, scope).
    release: Mapped[DocumentRelease | None] = mapped_column(
        JSONValue(DocumentRelease), nullable=True
    )
    uploaded_by_org: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]

    @property
    def releasable(self) -> bool:
        """Whether the document may leave the source (see domain.documents.releasable)."""
        released = self.legal_basis is not None or self.release is not None
        return not self.special_category or released


class Handover(Base, HandoverAggregate):
    """One handover of a case from one organisation to another (behaviour: the aggregate)."""

    __tablename__ = "handovers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    # Equals case_id while the handover is active and NULL afterwards: the unique index
    # makes "at most one active handover per case" hold even under concurrent requests.
    active_case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True, nullable=True)
    reason: Mapped[str] = mapped_column(String(40))
    from_org: Mapped[str] = mapped_column(String(100), index=True)
    to_org: Mapped[str] = mapped_column(String(100), index=True)
    legal_domain_from: Mapped[str] = mapped_column(String(20))
    legal_domain_to: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), index=True)
    transfer_date: Mapped[date] = mapped_column(Date)
    transfer_date_from_eligibility: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    trigger: Mapped[RecordedTrigger | None] = mapped_column(
        JSONValue(RecordedTrigger), nullable=True
    )
    eligibility_status: Mapped[str] = mapped_column(String(20))
    eligibility: Mapped[EligibilityRecord | None] = mapped_column(
        JSONValue(EligibilityRecord), nullable=True
    )
    waivers: Mapped[tuple[Waiver, ...]] = mapped_column(JSONValue(tuple[Waiver, ...]))
    manifest: Mapped[Manifest | None] = mapped_column(JSONValue(Manifest), nullable=True)
    manifest_signature: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    transferred_at: Mapped[datetime | None] = mapped_column(nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    rejected_at: Mapped[datetime | None] = mapped_column(nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancellation_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AuditEntry(Base):
    """Who read or changed what of a case; no personal data in `details`."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_case_at", "case_id", "id"),
        Index("ux_audit_log_seq", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_org: Mapped[str] = mapped_column(String(100))
    actor_subject: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    at: Mapped[datetime]
    # The tamper-evident chain (domain/audit.py); a trigger refuses UPDATE and DELETE.
    seq: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditPending(Base):
    """Audit records committed with what they describe, waiting to join the chain.

    A transaction only inserts here (no lock); the sealer (`AuditRepository.seal`) moves
    them into `audit_log` in id order under the chain head's lock. Triggers refuse UPDATE and
    TRUNCATE, and DELETE outside a sealing transaction (`handover.audit_sealing`).
    """

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_org: Mapped[str] = mapped_column(String(100))
    actor_subject: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    at: Mapped[datetime]


class AuditChainHead(Base):
    """The one row naming the chain's last record; the sealer locks it until it commits."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """Signed (Ed25519 JWS, the manifest key): the chain up to `seq` ends in `sha256`."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    signature: Mapped[str] = mapped_column(String(2000))
