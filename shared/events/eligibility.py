"""Events produced by eligibility_api."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from shared.events.base import EventData
from shared.events.handover import LegalDomainCode


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ReasonV1(_Part):
    """Why: a stable code, a German explanation and the legal reference."""

    code: str
    text_de: str
    legal_ref: str


class WarningV1(_Part):
    """A missing or uncertain fact, or a rule the domain marks as unsure."""

    code: str
    text_de: str
    uncertain: bool = False


class KeyDatesV1(_Part):
    """Dates the decision derives."""

    alg1_claim_start_date: date | None = None
    alg1_entitlement_days: int | None = None
    alg1_end_date: date | None = None
    alg1_remaining_days: int | None = None
    responsibility_change_date: date | None = None
    info_session_invitation_date: date | None = None
    sgb2_age_limit_date: date | None = None
    asylblg_end_date: date | None = None
    sgb2_start_date: date | None = None


class EligibilityDeterminedV1(EventData):
    """A decision for a case, or for one handover of it, with key dates."""

    TYPE = "de.handover.eligibility.determined.v1"
    TOPIC = "eligibility.determined"

    case_id: uuid.UUID
    handover_id: uuid.UUID | None = None
    check_id: uuid.UUID
    as_of: date
    legal_domain: LegalDomainCode
    parallel_entitlements: tuple[LegalDomainCode, ...] = ()
    responsible_org_type: str
    target_confirmed: bool | None = None
    reasons: tuple[ReasonV1, ...] = ()
    warnings: tuple[WarningV1, ...] = ()
    key_dates: KeyDatesV1
    rules_version: str
    determined_at: datetime
