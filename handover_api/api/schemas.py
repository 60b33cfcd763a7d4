"""HTTP DTOs of handover_api (separate from ORM rows and from events)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from handover_api.domain.case import ContactData, PlanDraft, PlanGoal, PlanMeasure
from handover_api.domain.documents import DocumentType, HandoverReason
from handover_api.domain.handover import Trigger, Waiver
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

    def to_facts(self) -> EligibilityFactsV1:
        """The facts as the case keeps and announces them."""
        return EligibilityFactsV1.model_validate(self.model_dump(mode="json"))


Facts = Annotated[CaseFacts, BeforeValidator(forbid_unknown(CaseFacts))]
OrgId = Annotated[str, Field(min_length=2, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Code = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Z0-9_.:-]+$")]


class Schema(BaseModel):
    """Response base: built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


@cache
def _adapter(value_type: type[Any]) -> TypeAdapter[Any]:
    return TypeAdapter(value_type)


def _as_json(value: Any) -> Any:
    """A value object (dataclass or pydantic model, or a tuple of them) as plain JSON data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _adapter(type(value)).dump_python(value, mode="json")
    if isinstance(value, tuple):
        return [_as_json(item) for item in value]
    return value


def _without_nulls(value: Any) -> Any:
    data = _as_json(value)
    return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data


# Value objects shown as the JSON objects they are stored as.
JSONObject = Annotated[dict[str, Any], BeforeValidator(_as_json)]
JSONObjects = Annotated[list[dict[str, Any]], BeforeValidator(_as_json)]


class Request(BaseModel):
    """Request base: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class Person(Request):
    """Contact data of the person; read only through the audited case endpoint."""

    given_name: CleanText = Field(min_length=1, max_length=100)
    family_name: CleanText = Field(min_length=1, max_length=100)
    email: CleanText | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9 +()/-]+$")

    def to_contact(self) -> ContactData:
        """The contact data as the case keeps it."""
        return ContactData(self.given_name, self.family_name, self.email, self.phone)


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

    def to_draft(self) -> PlanDraft:
        """The plan as written, before it gets its ids and version."""
        return PlanDraft(
            plan_type=self.plan_type,
            goals=tuple(PlanGoal(g.code, g.target_date) for g in self.goals),
            measures=tuple(
                PlanMeasure(m.type, m.start_date, m.end_date, m.cost_bearer, m.status)
                for m in self.measures
            ),
            next_review_date=self.next_review_date,
        )


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
    person: Annotated[dict[str, Any], BeforeValidator(_without_nulls)]
    facts: JSONObject
    integration_plan: JSONObject | None
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

    def to_trigger(self) -> Trigger:
        """The trigger as the handover records it."""
        return Trigger(self.type, self.occurred_on)


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

    def to_waiver(self) -> Waiver:
        """The waiver as the handover records it."""
        return Waiver(self.document_type, self.reason)


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
    trigger: JSONObject | None
    eligibility_status: EligibilityStatus
    eligibility: JSONObject | None
    waivers: JSONObjects
    missing_documents: list[DocumentType] = Field(default_factory=list)
    blocking: list[str] = Field(default_factory=list)
    manifest: JSONObject | None
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
