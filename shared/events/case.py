"""Events about case records, produced by handover_api."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.events.base import EventData
from shared.events.facts import EligibilityFactsV1


class CaseRegisteredV1(EventData):
    """A case was created; carries eligibility-relevant facts only."""

    TYPE = "de.handover.case.registered.v1"
    TOPIC = "case.registered"

    case_id: uuid.UUID
    owner_org: str
    municipality: str | None = None
    facts: EligibilityFactsV1
    registered_at: datetime


class CaseUpdatedV1(EventData):
    """Eligibility-relevant facts of a case changed."""

    TYPE = "de.handover.case.updated.v1"
    TOPIC = "case.updated"

    case_id: uuid.UUID
    owner_org: str
    municipality: str | None = None
    facts: EligibilityFactsV1
    changed_fields: tuple[str, ...] = ()
    updated_at: datetime


class CaseJointEndedV1(EventData):
    """A U25 joint case ended: one organisation left, the other keeps the case alone."""

    TYPE = "de.handover.case.joint_ended.v1"
    TOPIC = "case.joint_ended"

    case_id: uuid.UUID
    left_org: str
    kept_by_org: str
    reason: str
    ended_at: datetime
