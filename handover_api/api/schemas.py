"""HTTP DTOs of handover_api (separate from ORM rows and from events)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from handover_api.domain.documents import DocumentType, HandoverReason
from handover_api.domain.lifecycle import (
    CancellationReason,
    EligibilityStatus,
    HandoverStatus,
    RejectionReason,
    TriggerType,
)
from shared.events.facts import EligibilityFactsV1, ResidenceStatusCode
from shared.strict import CleanText, RangedDate, forbid_unknown


class CaseFacts(EligibilityFactsV1):
    """Eligibility-relevant facts; leave unknown facts out (eligibility warns about them)."""

    residence_status: ResidenceStatusCode | None = None


Facts = Annotated[CaseFacts, BeforeValidator(forbid_unknown(CaseFacts))]
OrgId = Annotated[str, Field(min_length=2, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Code = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Z0-9_.:-]+$")]


class Schema(BaseModel):
    """Response base: built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class Request(BaseModel):
    """Request base: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class Person(Request):
    """Contact data of the person; read only through the audited case endpoint."""

    given_name: CleanText = Field(min_length=1, max_length=100)
    family_name: CleanText = Field(min_length=1, max_length=100)
    email: CleanText | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9 +()/-]+$")


class PlanGoalIn(Request):
    """A goal as a code (e.g. a target occupation or language level), no free text."""

    code: Code
    target_date: RangedDate | None = None


class PlanMeasureIn(Request):
    """A running or approved measure (Bildungsgutschein, AVGS, MAT, BvB, EQ, ...)."""

    type: Code
    start_date: RangedDate | None = None
    end_date: RangedDate | None = None
    cost_bearer: Code | None = None
    status: Literal["PLANNED", "APPROVED", "RUNNING", "ENDED"] = "RUNNING"


class IntegrationPlanIn(Request):
    """The structured integration plan that continues after a handover."""

    plan_type: Literal["EINGLIEDERUNGSVEREINBARUNG", "KOOPERATIONSPLAN", "FOERDERPLAN"]
    goals: list[PlanGoalIn] = Field(default_factory=list, max_length=50)
    measures: list[PlanMeasureIn] = Field(default_factory=list, max_length=50)
    next_review_date: RangedDate | None = None


CASE_EXAMPLE: dict[str, Any] = {
    "kundennummer": "123A456789",
    "municipality": "Witten",
    "person": {"given_name": "Erika", "family_name": "Mustermann"},
    "facts": {
        "birth_date": "1971-01-15",
        "nationality": "GERMAN",
        "erwerbsfaehig": True,
        "hilfebeduerftig": True,
        "habitual_residence_de": True,
        "alg1": {
            "claim_start_date": "2025-02-01",
            "insured_months_30": 30,
            "insured_months_60": 30,
        },
    },
    "integration_plan": {
        "plan_type": "EINGLIEDERUNGSVEREINBARUNG",
        "goals": [{"code": "KLDB_25102", "target_date": "2026-09-30"}],
        "measures": [
            {
                "type": "BILDUNGSGUTSCHEIN",
                "start_date": "2026-03-01",
                "end_date": "2026-08-31",
                "cost_bearer": "AGENTUR",
            }
        ],
    },
}


class CaseCreate(Request):
    """A new case."""

    model_config = ConfigDict(json_schema_extra={"examples": [CASE_EXAMPLE]})

    kundennummer: str | None = Field(
        default=None,
        pattern=r"^[0-9]{3}[A-Z][0-9]{6}$",
        description="BA Kundennummer (§ 51a SGB II)",
    )
    municipality: CleanText | None = Field(default=None, max_length=100)
    person: Person
    facts: Facts = Field(default_factory=CaseFacts)
    integration_plan: IntegrationPlanIn | None = None


class CaseUpdate(Request):
    """Changed fields of a case; omitted fields stay as they are."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"municipality": "Gevelsberg"}]})

    municipality: CleanText | None = Field(default=None, max_length=100)
    person: Person | None = None
    facts: Facts | None = None
    integration_plan: IntegrationPlanIn | None = None


class CaseRead(Schema):
    """A case record."""

    id: uuid.UUID
    owner_org: str
    created_by_org: str
    kundennummer: str | None
    municipality: str | None
    person: dict[str, Any]
    facts: dict[str, Any]
    integration_plan: dict[str, Any] | None
    version: int
    created_at: datetime
    updated_at: datetime


class DocumentRead(Schema):
    """Metadata of an uploaded document."""

    id: uuid.UUID
    case_id: uuid.UUID
    type: DocumentType
    filename: str
    media_type: str
    size: int
    sha256: str
    special_category: bool
    legal_basis: str | None
    uploaded_by_org: str
    uploaded_at: datetime


class UploadFields(Request):
    """The text fields sent with an uploaded document."""

    type: DocumentType
    legal_basis: CleanText | None = Field(default=None, max_length=100)


class TriggerIn(Request):
    """The legal trigger that allows releasing the dossier."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"}]
        }
    )

    type: TriggerType
    occurred_on: RangedDate


class WaiverIn(Request):
    """An explicitly waived mandatory document."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"document_type": "INFO_SESSION_ATTENDANCE", "reason": "Person did not attend"}
            ]
        }
    )

    document_type: DocumentType
    reason: CleanText = Field(min_length=3, max_length=300)


class HandoverCreate(Request):
    """Start a handover of the case to another organisation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "ALG1_EXHAUSTED",
                    "to_org": "jobcenter-ennepe-ruhr",
                    "transfer_date": "2026-05-01",
                    "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
                }
            ]
        }
    )

    reason: HandoverReason
    to_org: OrgId
    transfer_date: RangedDate | None = Field(
        default=None, description="Date responsibility moves (default: today)"
    )
    trigger: TriggerIn | None = None
    waivers: list[WaiverIn] = Field(default_factory=list, max_length=30)


class RejectIn(Request):
    """Return the case to the source."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason_code": "NOT_HILFEBEDUERFTIG"}]}
    )

    reason_code: RejectionReason


class CancelIn(Request):
    """Withdraw a handover before the transfer."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason_code": "JOB_FOUND"}]})

    reason_code: CancellationReason


class HandoverRead(Schema):
    """A handover with what still blocks it."""

    id: uuid.UUID
    case_id: uuid.UUID
    reason: HandoverReason
    from_org: str
    to_org: str
    legal_domain_from: str
    legal_domain_to: str
    status: HandoverStatus
    fhir_status: str
    transfer_date: date
    trigger: dict[str, Any] | None
    eligibility_status: EligibilityStatus
    eligibility: dict[str, Any] | None
    waivers: list[dict[str, Any]]
    missing_documents: list[DocumentType] = Field(default_factory=list)
    blocking: list[str] = Field(default_factory=list)
    manifest: dict[str, Any] | None
    manifest_signature: str | None
    transferred_at: datetime | None
    due_at: datetime | None
    accepted_at: datetime | None
    completed_at: datetime | None
    rejected_at: datetime | None
    rejection_reason: str | None
    cancelled_at: datetime | None
    cancellation_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class AuditEntryRead(Schema):
    """One entry of a case's audit trail."""

    id: int
    case_id: uuid.UUID
    actor_org: str
    actor_subject: str
    action: str
    details: dict[str, Any]
    at: datetime


class OrganisationRead(Schema):
    """An organisation known to the broker."""

    id: str
    name: str
    type: str
    legal_domain: str
    municipalities: list[str]
