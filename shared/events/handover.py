"""Events of the handover lifecycle, produced by handover_api."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events.base import EventData
from shared.events.facts import EligibilityFactsV1

HandoverReason = Literal[
    "ALG1_EXHAUSTED",
    "AUFSTOCKER_END",
    "ASYLUM_RECOGNISED",
    "U25_JOINT",
    "RETURN_TO_SGB3",
    "TO_SGB12",
    "UKRAINE_LRAG",
]
LegalDomainCode = Literal["SGB_III", "SGB_II", "ASYLBLG", "SGB_XII", "NONE"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class HandoverRequestedV1(EventData):
    """A handover was started; carries the facts eligibility decides on."""

    TYPE = "de.handover.handover.requested.v1"
    TOPIC = "handover.requested"

    case_id: uuid.UUID
    handover_id: uuid.UUID
    reason: HandoverReason
    from_org: str
    to_org: str
    legal_domain_from: LegalDomainCode
    legal_domain_to: LegalDomainCode
    transfer_date: date
    requested_at: datetime
    facts: EligibilityFactsV1


class ManifestDocumentV1(_Part):
    """One document of a transferred dossier."""

    document_id: uuid.UUID
    type: str
    sha256: str
    size: int
    media_type: str
    url: str


class PlanGoalV1(_Part):
    """A goal of the integration plan, as a code (no free text about the person)."""

    goal_id: uuid.UUID
    code: str
    target_date: date | None = None


class PlanMeasureV1(_Part):
    """A running or approved measure that must continue after the handover."""

    measure_id: uuid.UUID
    type: str
    start_date: date | None = None
    end_date: date | None = None
    cost_bearer: str | None = None
    status: str = "RUNNING"


class IntegrationPlanV1(_Part):
    """The structured integration plan (EinV / Kooperationsplan / Förderplan)."""

    plan_id: uuid.UUID
    plan_type: str
    version: int
    goals: tuple[PlanGoalV1, ...] = ()
    measures: tuple[PlanMeasureV1, ...] = ()
    next_review_date: date | None = None


class CaseTransferredV1(EventData):
    """The case moved to the receiving organisation, with manifest and integration plan."""

    TYPE = "de.handover.case.transferred.v1"
    TOPIC = "case.transferred"

    case_id: uuid.UUID
    handover_id: uuid.UUID
    from_org: str
    to_org: str
    reason: HandoverReason
    legal_domain_from: LegalDomainCode
    legal_domain_to: LegalDomainCode
    transferred_at: datetime
    integration_plan: IntegrationPlanV1 | None
    documents: tuple[ManifestDocumentV1, ...]
    manifest_signature: str
    manifest_keys_url: str | None = None
    responsible_from: date | None = None
    # Special-category documents (Art. 9 GDPR, § 76 SGB X) without a recorded legal basis
    # or consent stay with the source: named here by type only, sorted, without repeats.
    withheld_documents: tuple[str, ...] = ()


class HandoverAcceptedV1(EventData):
    """The receiving organisation confirmed and continues the case."""

    TYPE = "de.handover.handover.accepted.v1"
    TOPIC = "handover.accepted"

    case_id: uuid.UUID
    handover_id: uuid.UUID
    from_org: str
    to_org: str
    accepted_at: datetime


class HandoverRejectedV1(EventData):
    """The receiving organisation returned the case to the source, with a reason code."""

    TYPE = "de.handover.handover.rejected.v1"
    TOPIC = "handover.rejected"

    case_id: uuid.UUID
    handover_id: uuid.UUID
    from_org: str
    to_org: str
    reason_code: str
    rejected_at: datetime


class HandoverOverdueV1(EventData):
    """The handover was not accepted within its deadline: escalate."""

    TYPE = "de.handover.handover.overdue.v1"
    TOPIC = "handover.overdue"

    case_id: uuid.UUID
    handover_id: uuid.UUID
    from_org: str
    to_org: str
    due_at: datetime
