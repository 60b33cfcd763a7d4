"""Which organisations are notified of which event (architecture.md §3)."""

from __future__ import annotations

from typing import Literal, get_args

from shared.events.base import EventData
from shared.events.case import CaseJointEndedV1
from shared.events.consultation import ConsultationOverdueV1
from shared.events.handover import (
    CaseTransferredV1,
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    HandoverRequestedV1,
)
from shared.events.transition import TransitionUpcomingV1

EventTopic = Literal[
    "case.transferred",
    "handover.requested",
    "handover.accepted",
    "handover.rejected",
    "handover.overdue",
    "transition.upcoming",
    "consultation.overdue",
    "case.joint_ended",
]
DELIVERABLE_TOPICS: tuple[str, ...] = get_args(EventTopic)


def recipient_orgs(data: EventData) -> tuple[str, ...]:
    """The organisations whose subscriptions receive this event, without repeats."""
    orgs: tuple[str, ...]
    if isinstance(data, HandoverRequestedV1):
        # Only the receiving side is announced; the source started the handover itself.
        orgs = (data.to_org,)
    elif isinstance(
        data, CaseTransferredV1 | HandoverAcceptedV1 | HandoverRejectedV1 | HandoverOverdueV1
    ):
        orgs = (data.to_org, data.from_org)
    elif isinstance(data, TransitionUpcomingV1):
        orgs = (data.owner_org,)
    elif isinstance(data, ConsultationOverdueV1):
        # Both hosts of the session: the consultation is joint work (domain.md R2).
        orgs = (data.agentur_org, data.jobcenter_org, data.owner_org)
    elif isinstance(data, CaseJointEndedV1):
        # Both sides of the U25 joint case: who left and who keeps the case alone.
        orgs = (data.kept_by_org, data.left_org)
    else:
        orgs = ()
    return tuple(dict.fromkeys(orgs))
