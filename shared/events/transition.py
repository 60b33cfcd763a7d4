"""Transition scheduling events, produced by eligibility_api."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from shared.events.base import EventData


class TransitionUpcomingV1(EventData):
    """ALG I ends in about three months: invite the person to the joint info session."""

    TYPE = "de.handover.transition.upcoming.v1"
    TOPIC = "transition.upcoming"

    case_id: uuid.UUID
    owner_org: str
    municipality: str | None = None
    alg1_end_date: date
    invitation_date: date
    scheduled_at: datetime
    # Filled in by notifications_api in the invitation webhook: the session the case was
    # seated in (absent while no session had a free seat).
    session_id: uuid.UUID | None = None
    session_starts_at: datetime | None = None
    session_location: str | None = None
    session_place: str | None = None
