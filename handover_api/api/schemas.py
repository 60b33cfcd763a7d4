"""HTTP DTOs of handover_api (separate from ORM rows and from events)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from handover_api.domain.case import (
    CaseStatus,
    ContactData,
    PlanDraft,
    PlanGoal,
    PlanMeasure,
    PostalAddress,
)
from handover_api.domain.documents import Consent, DocumentType, HandoverReason
from handover_api.domain.handover import Trigger, Waiver
from handover_api.domain.joint import (
    JointEndReason,
    LeadContact,
    NextStepAction,
    ParticipantRole,
)
from handover_api.domain.lifecycle import (
    CancellationReason,
    EligibilityStatus,
    HandoverStatus,
    RejectionReason,
    TriggerType,
)
from shared.events.facts import (
    AsylumDecisionType,
    AsylumDecisionV1,
    EligibilityFactsV1,
    ResidenceStatusCode,
)
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
KundennummerStr = Annotated[str, Field(pattern=r"^[0-9]{3}[A-Z][0-9]{6}$")]


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


class PostalAddressIn(Request):
    """The person's postal address, for letters."""

    street: CleanText = Field(min_length=1, max_length=200, description="Street and number")
    postal_code: str = Field(pattern=r"^[0-9]{5}$", description="German postal code")
    town: CleanText = Field(min_length=1, max_length=100)

    def to_address(self) -> PostalAddress:
        """The address as the case keeps it."""
        return PostalAddress(self.street, self.postal_code, self.town)


class Person(Request):
    """Contact data of the person; read only through the audited case endpoint."""

    given_name: CleanText = Field(min_length=1, max_length=100)
    family_name: CleanText = Field(min_length=1, max_length=100)
    email: CleanText | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9 +()/-]+$")
    address: PostalAddressIn | None = None

    def to_contact(self) -> ContactData:
        """The contact data as the case keeps it."""
        return ContactData(
            self.given_name,
            self.family_name,
            self.email,
            self.phone,
            self.address.to_address() if self.address is not None else None,
        )


class PlanGoalIn(Request):
    """A goal as a code (e.g. a target occupation or language level), no free text."""

    code: Code
    target_date: RangedDate | None = None
    goal_id: uuid.UUID | None = Field(
        default=None, description="Id of a goal of the current plan to keep it; omit for a new one"
    )


class PlanMeasureIn(Request):
    """A running or approved measure (Bildungsgutschein, AVGS, MAT, BvB, EQ, ...)."""

    type: Code
    start_date: RangedDate | None = None
    end_date: RangedDate | None = None
    cost_bearer: Code | None = None
    status: Literal["PLANNED", "APPROVED", "RUNNING", "ENDED"] = "RUNNING"
    measure_id: uuid.UUID | None = Field(
        default=None,
        description="Id of a measure of the current plan to keep it; omit for a new one",
    )


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
            goals=tuple(PlanGoal(g.code, g.target_date, g.goal_id) for g in self.goals),
            measures=tuple(
                PlanMeasure(m.type, m.start_date, m.end_date, m.cost_bearer, m.status, m.measure_id)
                for m in self.measures
            ),
            next_review_date=self.next_review_date,
        )


# Without a Kundennummer, so the example can be posted more than once (one organisation
# has one case per Kundennummer); the field shows an example number of its own.
CASE_EXAMPLE: dict[str, Any] = {
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

    kundennummer: KundennummerStr | None = Field(
        default=None,
        description=(
            "BA Kundennummer (§ 51a SGB II); an organisation creates one case per number "
            "(`409 duplicate-kundennummer` names the existing case)"
        ),
        examples=["123A456789"],
    )
    municipality: CleanText | None = Field(default=None, max_length=100)
    person: Person
    facts: Facts = Field(default_factory=CaseFacts)
    integration_plan: IntegrationPlanIn | None = None


# Further PATCH examples: contact data with a postal address, ALG I facts with a Sperrzeit,
# a Ruhen period and a funded training, and a refugee's facts with the BAMF decision.
CASE_UPDATE_EXAMPLES: list[Any] = [
    {"municipality": "Gevelsberg"},
    {
        "person": {
            "given_name": "Erika",
            "family_name": "Mustermann",
            "email": "erika.mustermann@example.org",
            "phone": "+49 2302 123456",
            "address": {"street": "Ruhrstraße 12", "postal_code": "58452", "town": "Witten"},
        },
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
                "sperrzeiten": [
                    {"kind": "MISSED_APPOINTMENT", "start_date": "2025-06-02", "days": 7}
                ],
                "suspensions": [{"start_date": "2025-02-01", "days": 30, "cause": "SEVERANCE"}],
                "training_periods": [{"start_date": "2025-09-01", "end_date": "2025-11-30"}],
            },
        },
    },
    {
        "facts": {
            "birth_date": "1994-03-02",
            "nationality": "THIRD_COUNTRY",
            "entry_date": "2024-09-10",
            "residence_status": "AUFENTHALTSGESTATTUNG",
            "asylum_decision": {
                "type": "ASYL_16A",
                "decision_date": "2026-03-10",
                "served_date": "2026-03-13",
            },
            "erwerbsfaehig": True,
            "hilfebeduerftig": True,
            "habitual_residence_de": True,
        },
    },
]


class CaseUpdate(Request):
    """Changed fields of a case; omitted fields stay as they are."""

    model_config = ConfigDict(json_schema_extra={"examples": CASE_UPDATE_EXAMPLES})

    municipality: CleanText | None = Field(default=None, max_length=100)
    person: Person | None = None
    facts: Facts | None = None
    integration_plan: IntegrationPlanIn | None = None


LEAD_CONTACT_EXAMPLE: dict[str, Any] = {
    "name": "Jonas Berger",
    "role": "Berufsberatung U25",
    "phone": "02331 202-123",
    "email": "jonas.berger@example.org",
}
JOINT_EXAMPLE: dict[str, Any] = {
    "partner_org": "jobcenter-ennepe-ruhr",
    "lead_org": "agentur-hagen",
    "lead_contact": LEAD_CONTACT_EXAMPLE,
    "since": "2026-03-12T09:00:00Z",
}


class LeadContactRead(Schema):
    """The caseworker who leads a joint case (a staff contact, not the person's)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [LEAD_CONTACT_EXAMPLE]}
    )

    name: str
    role: str
    phone: str | None = None
    email: str | None = None


class JointRead(Schema):
    """A U25 joint case: the partner works the case with the owner; one of them leads."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [JOINT_EXAMPLE]})

    partner_org: str
    lead_org: str
    lead_contact: LeadContactRead | None = Field(
        default=None, description="Named by either side with PUT /v1/cases/{case_id}/joint/lead"
    )
    since: datetime


def _case_read_examples(schema: dict[str, Any]) -> None:
    # The example is defined below the model (CaseListItem extends it).
    schema["examples"] = [CASE_READ_EXAMPLE]


class CaseRead(Schema):
    """A case record."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=_case_read_examples)

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
    joint: JointRead | None = Field(
        default=None,
        description=(
            "U25 joint case (a `U25_JOINT` handover transferred): the owner keeps the case and "
            "the partner works it too; absent for a case worked by one organisation"
        ),
    )


CASE_READ_EXAMPLE: dict[str, Any] = {
    "id": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
    "owner_org": "agentur-hagen",
    "created_by_org": "agentur-hagen",
    "kundennummer": "123A456789",
    "municipality": "Witten",
    "person": {"given_name": "Erika", "family_name": "Mustermann"},
    "facts": CASE_EXAMPLE["facts"],
    "integration_plan": None,
    "version": 1,
    "created_at": "2026-02-02T09:00:00Z",
    "updated_at": "2026-02-02T09:00:00Z",
}


class CaseListItem(CaseRead):
    """A case record in a list, with the status derived from its active handover."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**CASE_READ_EXAMPLE, "status": "active"}]}
    )

    status: CaseStatus = Field(
        description=(
            "`active`: no handover running; `handover_pending`: a handover was started and "
            "has not transferred yet; `transferred`: the case moved here and the handover "
            "is not completed yet"
        )
    )


class PostalAddressRead(Schema):
    """A postal address."""

    street: str
    postal_code: str
    town: str


class ContactRead(Schema):
    """The person's contact data, for a service that writes to them (audited read)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
                    "purpose": "notice",
                    "given_name": "Erika",
                    "family_name": "Mustermann",
                    "email": "erika.mustermann@example.org",
                    "phone": "+49 2302 123456",
                    "address": {
                        "street": "Ruhrstraße 12",
                        "postal_code": "58452",
                        "town": "Witten",
                    },
                }
            ]
        }
    )

    case_id: uuid.UUID
    purpose: str
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    address: PostalAddressRead | None


class RequiredDocumentRead(Schema):
    """A document type a handover reason needs."""

    type: DocumentType
    label: str = Field(description="German label")
    mandatory: bool
    special_category: bool = Field(
        description=(
            "Health, disability or youth-welfare data (Art. 9 GDPR, § 76 SGB X): stays with "
            "the source until its release is recorded"
        )
    )


REASON_DOCUMENTS_EXAMPLE: dict[str, Any] = {
    "reason": "U25_JOINT",
    "label": "Gemeinsame Fallarbeit U25",
    "documents": [
        {
            "type": "IDENTITY_MASTER_DATA",
            "label": "Identitäts- und Stammdaten mit Kundennummer",
            "mandatory": True,
            "special_category": False,
        }
    ],
}


class ReasonDocumentsRead(Schema):
    """What one handover reason needs."""

    model_config = ConfigDict(json_schema_extra={"examples": [REASON_DOCUMENTS_EXAMPLE]})

    reason: HandoverReason
    label: str = Field(description="German label")
    documents: list[RequiredDocumentRead] = Field(
        description="Every document type: the mandatory ones first, then the optional ones"
    )


class RequiredDocumentsRead(Schema):
    """What the handover reasons need (one reason, or all of them)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [REASON_DOCUMENTS_EXAMPLE]}]}
    )

    items: list[ReasonDocumentsRead]


DOCUMENT_READ_EXAMPLE: dict[str, Any] = {
    "id": "5e2d9c1b-7a4f-4b8e-9d3c-6f1a2b3c4d5e",
    "case_id": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
    "type": "ALG1_APPROVAL",
    "filename": "bewilligung-alg1.pdf",
    "media_type": "application/pdf",
    "size": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "special_category": False,
    "legal_basis": None,
    "uploaded_by_org": "agentur-hagen",
    "uploaded_at": "2026-02-02T09:05:00Z",
    "release": None,
}


class DocumentRead(Schema):
    """Metadata of an uploaded document."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [DOCUMENT_READ_EXAMPLE]}
    )

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
    release: JSONObject | None = Field(
        default=None,
        description="The recorded release of a special-category document (legal basis or "
        "consent); without it and without `legal_basis` the document stays with the source",
    )


class UploadFields(Request):
    """The text fields sent with an uploaded document."""

    type: DocumentType
    legal_basis: CleanText | None = Field(default=None, max_length=100)
    special: bool = Field(
        default=False,
        description="Marks the document as special category (Art. 9 GDPR, § 76 SGB X) "
        "whatever its type",
    )


class ConsentIn(Request):
    """The person's consent to disclose a special-category document (Art. 9 (2) a GDPR)."""

    given_by: Literal["PERSON", "LEGAL_GUARDIAN", "AUTHORISED_REPRESENTATIVE"]
    given_at: datetime
    scope: CleanText = Field(min_length=3, max_length=300)

    def to_consent(self) -> Consent:
        """The domain value."""
        return Consent(given_by=self.given_by, given_at=self.given_at, scope=self.scope)


class DocumentReleaseIn(Request):
    """Exactly one of a legal basis or the person's consent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"legal_basis": "§ 69 Abs. 1 Nr. 1 SGB X i. V. m. § 76 Abs. 2 Nr. 1 SGB X"},
                {
                    "consent": {
                        "given_by": "PERSON",
                        "given_at": "2026-04-02T09:30:00Z",
                        "scope": "Weitergabe des Gutachtens an das Jobcenter zur Eingliederung",
                    }
                },
            ]
        }
    )

    legal_basis: CleanText | None = Field(default=None, min_length=3, max_length=100)
    consent: ConsentIn | None = None


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


class EngineReasonRead(Schema):
    """A reason of eligibility_api's answer: its stable code and German text."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "ASYLBLG_RECIPIENT",
                    "text_de": "Leistungen nach dem AsylbLG; kein Anspruch nach SGB II.",
                }
            ]
        }
    )

    code: str
    text_de: str


class BlockingCauseRead(Schema):
    """One cause that keeps a handover from its transfer: a stable code and a German text."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "documents-missing",
                    "text_de": "Es fehlen Pflichtunterlagen: ALG1_APPROVAL, CV_CERTIFICATES.",
                    "document_types": ["ALG1_APPROVAL", "CV_CERTIFICATES"],
                    "reasons": [],
                }
            ]
        }
    )

    code: str = Field(
        description="eligibility-pending, not-eligible, trigger-missing, documents-missing, "
        "special-document-not-released"
    )
    text_de: str
    document_types: list[DocumentType] = Field(default_factory=list)
    reasons: list[EngineReasonRead] = Field(
        default_factory=list, description="not-eligible: the reasons of eligibility_api's answer"
    )


HANDOVER_READ_EXAMPLE: dict[str, Any] = {
    "id": "4f1c2a9e-5b7d-4c1e-9a3f-2d8e6b0c7a51",
    "case_id": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
    "reason": "ALG1_EXHAUSTED",
    "from_org": "agentur-hagen",
    "to_org": "jobcenter-ennepe-ruhr",
    "legal_domain_from": "SGB_III",
    "legal_domain_to": "SGB_II",
    "status": "awaiting_documents",
    "fhir_status": "on-hold",
    "transfer_date": "2026-05-01",
    "transfer_date_from_eligibility": False,
    "trigger": {
        "type": "SGB2_APPLICATION_FILED",
        "occurred_on": "2026-03-02",
        "recorded_at": "2026-03-02T10:00:00Z",
    },
    "eligibility_status": "confirmed",
    "eligibility": {
        "check_id": "8d2f6c1a-4b3e-4f5a-9c7d-1e2b3a4c5d6e",
        "legal_domain": "SGB_II",
        "rules_version": "sgb2-buergergeld-2023",
        "reasons": [],
        "warnings": [],
        "key_dates": {"alg1_end_date": "2026-04-30", "responsibility_change_date": "2026-05-01"},
        "determined_at": "2026-03-02T10:00:02Z",
    },
    "waivers": [{"document_type": "POTENZIALANALYSE", "reason": "Nicht erstellt"}],
    "missing_documents": ["ALG1_APPROVAL"],
    "blocking": ["documents-missing"],
    "blocking_causes": [
        {
            "code": "documents-missing",
            "text_de": "Es fehlen Pflichtunterlagen: ALG1_APPROVAL.",
            "document_types": ["ALG1_APPROVAL"],
            "reasons": [],
        }
    ],
    "manifest": None,
    "manifest_signature": None,
    "transferred_at": None,
    "due_at": None,
    "accepted_at": None,
    "completed_at": None,
    "rejected_at": None,
    "rejection_reason": None,
    "cancelled_at": None,
    "cancellation_reason": None,
    "version": 3,
    "created_at": "2026-02-02T09:10:00Z",
    "updated_at": "2026-03-02T10:00:02Z",
}


class HandoverRead(Schema):
    """A handover with what still blocks it."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [HANDOVER_READ_EXAMPLE]}
    )

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
    transfer_date_from_eligibility: bool = Field(
        default=False,
        description="The transfer date is the first day of the target's responsibility as "
        "eligibility_api computes it; the handover waits for that day",
    )
    trigger: JSONObject | None
    eligibility_status: EligibilityStatus
    eligibility: JSONObject | None
    waivers: JSONObjects
    missing_documents: list[DocumentType] = Field(default_factory=list)
    blocking: list[str] = Field(default_factory=list)
    blocking_causes: list[BlockingCauseRead] = Field(
        default_factory=list,
        description="Every cause in `blocking`, with its German text, the missing document "
        "types and, when not eligible, the engine's reasons",
    )
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
    """One entry of a case's audit trail, with its place in the tamper-evident chain."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "case_id": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
                    "actor_org": "agentur-hagen",
                    "actor_subject": "agentur-hagen-backend",
                    "action": "case.read",
                    "details": {},
                    "at": "2026-02-02T09:06:00Z",
                    "seq": 17,
                    "purpose": "Aufgabenerfüllung (§ 67c Abs. 1 SGB X)",
                    "request_id": "3f9a1c2e7b4d4e5f8a6b0c1d2e3f4a5b",
                    "prev_hash": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
                    "hash": "7c211433f02071597741e6ff5a8ea34789abbf437c211433f02071597741e6ff",
                }
            ]
        },
    )

    id: int
    case_id: uuid.UUID
    actor_org: str
    actor_subject: str
    action: str
    details: dict[str, Any]
    at: datetime
    seq: int = Field(description="Gap-free sequence number in the broker's audit chain")
    purpose: str = Field(description="Purpose or legal basis of the action")
    request_id: str | None = Field(None, description="X-Request-ID of the request")
    prev_hash: str = Field(description="SHA-256 (hex) of the record before it in the chain")
    hash: str = Field(description="SHA-256 (hex) of this record's canonical content")


class OrganisationRead(Schema):
    """An organisation known to the broker."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "jobcenter-ennepe-ruhr",
                    "name": "Jobcenter EN (Ennepe-Ruhr-Kreis)",
                    "type": "JOBCENTER",
                    "legal_domain": "SGB_II",
                    "municipalities": ["Witten", "Gevelsberg", "Hattingen"],
                }
            ]
        },
    )

    id: str
    name: str
    type: str
    legal_domain: str
    municipalities: list[str]


class AsylumDecisionIn(Request):
    """The BAMF decision on the case's asylum application (operative part and dates only)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "FLUECHTLING_3",
                    "decision_date": "2026-03-06",
                    "served_date": "2026-03-10",
                    "final_date": "2026-03-25",
                }
            ]
        }
    )

    type: AsylumDecisionType = Field(
        description="Kind of protection: ASYL_16A (Art. 16a GG), FLUECHTLING_3 (§ 3 AsylG), "
        "SUBSIDIAER_4 (§ 4 AsylG), ABSCHIEBUNGSVERBOT_60 (§ 60 (5), (7) AufenthG), ABGELEHNT"
    )
    decision_date: RangedDate = Field(description="Date of the BAMF decision (Bescheid)")
    served_date: RangedDate | None = Field(
        default=None, description="Date the decision was served: the legal trigger"
    )
    final_date: RangedDate | None = Field(
        default=None, description="Date the decision became final (unanfechtbar)"
    )
    permit_issued_date: RangedDate | None = Field(
        default=None, description="Date the residence title after the decision was issued"
    )

    def to_decision(self) -> AsylumDecisionV1:
        """The decision as the case's facts keep it."""
        return AsylumDecisionV1.model_validate(self.model_dump())


class AsylumDecisionResult(BaseModel):
    """What recording the decision did: the case's new version and the handover, if any."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
                    "case_version": 2,
                    "outcome": "handover-started",
                    "outcome_text_de": "Die Übergabe an das zuständige Jobcenter wurde "
                    "gestartet; sie erfolgt am ersten Tag seiner Zuständigkeit.",
                    "to_org": "jobcenter-muenster",
                    "handover": None,
                }
            ]
        }
    )

    case_id: uuid.UUID
    case_version: int
    outcome: Literal[
        "handover-started",
        "handover-advanced",
        "handover-unchanged",
        "no-competent-jobcenter",
        "not-positive",
    ]
    outcome_text_de: str
    to_org: str | None = None
    handover: HandoverRead | None = None


# -- the audit chain's check and the person's right of access --------------------------------

_DISCLOSURE_EXAMPLE: dict[str, Any] = {
    "kind": "transfer",
    "handover_id": "4f1c2a9e-5b7d-4c1e-9a3f-2d8e6b0c7a51",
    "at": "2026-04-03T09:15:00Z",
    "from_org": "agentur-hagen",
    "from_org_name": "Agentur für Arbeit Hagen",
    "to_org": "jobcenter-ennepe-ruhr",
    "to_org_name": "Jobcenter EN (Ennepe-Ruhr-Kreis)",
    "reason": "ALG1_EXHAUSTED",
    "legal_basis": "§ 69 Abs. 1 Nr. 1 SGB X in Verbindung mit § 50 SGB II und § 67d SGB X",
    "data_categories": ["Kundennummer und Kontaktdaten", "Angaben zur Leistungsberechtigung"],
    "document_types": ["ALG1_APPROVAL"],
    "withheld_document_types": ["MEDICAL_PSYCHOLOGICAL_REPORT"],
    "integration_plan": False,
    "text": "Am 03.04.2026 hat Agentur für Arbeit Hagen Ihren Fall an Jobcenter EN "
    "(Ennepe-Ruhr-Kreis) übermittelt (Anlass: Arbeitslosengeld erschöpft). ...",
}


class BrokenLinkRead(Schema):
    """The first place where the audit chain does not hold."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "seq": 42,
                    "problem": "content_altered",
                    "detail": "the record's content no longer matches its hash",
                }
            ]
        },
    )

    seq: int
    problem: Literal[
        "content_altered",
        "record_missing",
        "link_broken",
        "checkpoint_signature_invalid",
        "checkpoint_mismatch",
    ]
    detail: str


class AuditVerificationRead(Schema):
    """The result of walking the audit chain: aggregate facts only, never a record."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "verified": True,
                    "from_seq": 1,
                    "last_seq": 1200,
                    "records_checked": 1200,
                    "checkpoints_checked": 1,
                    "latest_checkpoint_seq": 1000,
                    "first_broken": None,
                    "keys_url": "http://127.0.0.1:8001/v1/manifest-keys",
                }
            ]
        },
    )

    verified: bool
    from_seq: int = Field(description="The first sequence number checked")
    last_seq: int = Field(description="The last sequence number that verified")
    records_checked: int
    checkpoints_checked: int
    latest_checkpoint_seq: int | None
    first_broken: BrokenLinkRead | None
    keys_url: str = Field(description="Where the checkpoints' public key is published (JWKS)")


class AuditCheckpointRead(Schema):
    """A signed checkpoint: the chain up to `seq` ends in `sha256` (EdDSA JWS `signature`)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "seq": 1000,
                    "sha256": "9f2b5c0e" * 8,
                    "created_at": "2026-11-25T12:00:00Z",
                    "signature": "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9.eyJ...In0.c2ln",
                }
            ]
        },
    )

    seq: int
    sha256: str
    created_at: datetime
    signature: str


class DisclosureRead(Schema):
    """One disclosure about the person: what went to whom, when, on which legal basis."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_DISCLOSURE_EXAMPLE]}
    )

    kind: Literal["announcement", "transfer"]
    handover_id: uuid.UUID
    at: datetime
    from_org: str
    from_org_name: str
    to_org: str
    to_org_name: str
    reason: str
    legal_basis: str
    data_categories: list[str]
    document_types: list[str] = Field(description="Document types released, by code")
    withheld_document_types: list[str] = Field(
        description="Special-category document types that stayed with the source"
    )
    integration_plan: bool = Field(description="Whether the integration plan was released")
    text: str = Field(description="The disclosure in German, for the person")


class DisclosuresRead(Schema):
    """Everything disclosed about the person of a case (Art. 15 GDPR, § 83 SGB X)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "case_id": "0b6f3f7e-2c1a-4d5e-8f90-1a2b3c4d5e6f",
                    "items": [_DISCLOSURE_EXAMPLE],
                }
            ]
        },
    )

    case_id: uuid.UUID
    items: list[DisclosureRead]


class LeadContactIn(Request):
    """The caseworker who leads a joint case: a staff contact, not the person's."""

    name: CleanText = Field(min_length=1, max_length=100)
    role: CleanText = Field(min_length=1, max_length=100, description="e.g. Berufsberatung U25")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9 +()/-]+$")
    email: CleanText | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")

    def to_contact(self) -> LeadContact:
        """The contact as the case keeps it."""
        return LeadContact(self.name, self.role, self.phone, self.email)


class JointLeadUpdate(Request):
    """Who leads the joint case: one of its two organisations, with a named caseworker."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"lead_org": "agentur-hagen", "lead_contact": LEAD_CONTACT_EXAMPLE}]
        }
    )

    lead_org: OrgId
    lead_contact: LeadContactIn


class JointEnd(Request):
    """Why the caller's side is no longer involved; the other side keeps the case."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "NO_LONGER_INVOLVED"}]})

    reason: JointEndReason


class ParticipantIn(Request):
    """An organisation at a case conference and the role in which it took part."""

    org: OrgId
    role: ParticipantRole


class NextStepIn(Request):
    """An agreed step about a measure or the plan: codes only, no text about the person."""

    action: NextStepAction
    measure_type: Code | None = Field(default=None, description="e.g. BVB, EQ, AVGS")
    measure_id: uuid.UUID | None = Field(default=None, description="A measure of the plan")


CONFERENCE_EXAMPLE: dict[str, Any] = {
    "held_on": "2026-03-12",
    "participants": [
        {"org": "agentur-hagen", "role": "BERUFSBERATUNG"},
        {"org": "jobcenter-ennepe-ruhr", "role": "U25_TEAM"},
    ],
    "next_steps": [{"action": "START_MEASURE", "measure_type": "BVB"}],
    "next_review_date": "2026-06-12",
}


class ConferenceCreate(Request):
    """A case conference of a joint case (domain.md §2.3)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CONFERENCE_EXAMPLE]})

    held_on: RangedDate
    participants: list[ParticipantIn] = Field(min_length=1, max_length=20)
    next_steps: list[NextStepIn] = Field(default_factory=list, max_length=30)
    next_review_date: RangedDate = Field(
        description="At the latest three months after the conference (§ 37 SGB III)"
    )


class ConferenceRead(Schema):
    """A recorded case conference."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **CONFERENCE_EXAMPLE,
                    "next_steps": [
                        {"action": "START_MEASURE", "measure_type": "BVB", "measure_id": None}
                    ],
                    "id": "5d0c4a8e-8f63-4f0e-a1f2-3c9b7e2d1a44",
                    "case_id": "0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10",
                    "lead_org": "agentur-hagen",
                    "recorded_by_org": "jobcenter-ennepe-ruhr",
                    "recorded_at": "2026-03-12T15:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    case_id: uuid.UUID
    held_on: date
    participants: JSONObjects
    next_steps: JSONObjects
    next_review_date: date
    lead_org: str
    recorded_by_org: str
    recorded_at: datetime
