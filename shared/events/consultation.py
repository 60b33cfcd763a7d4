"""Consultation events, produced by notifications_api (domain.md §4.1 R2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from shared.events.base import EventData


class ConsultationOverdueV1(EventData):
    """A person attended an info session and no consultation was held within four weeks."""

    TYPE = "de.handover.consultation.overdue.v1"
    TOPIC = "consultation.overdue"

    invitation_id: uuid.UUID
    case_id: uuid.UUID
    owner_org: str
    agentur_org: str
    jobcenter_org: str
    session_id: uuid.UUID
    session_starts_at: datetime
    consultation_due_date: date
    detected_at: datetime
