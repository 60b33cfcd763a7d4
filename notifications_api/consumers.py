"""Event handlers of the consumer group `notifications_api`; the runner commits after each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.use_cases.deliveries import enqueue_deliveries
from notifications_api.use_cases.invitations import invite_to_info_session, naming_the_session
from notifications_api.use_cases.notices import notice_for_invitation, notices_for_transfer
from shared.events.case import CaseJointEndedV1
from shared.events.consultation import ConsultationOverdueV1
from shared.events.envelope import Envelope
from shared.events.handover import (
    CaseTransferredV1,
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    HandoverRequestedV1,
)
from shared.events.transition import TransitionUpcomingV1
from shared.messaging.consumer import Handler

GROUP_ID = "notifications_api"


async def on_lifecycle_event(event: Envelope[Any], uow: NotificationsUnitOfWork) -> None:
    """Deliver a handover lifecycle event to the subscribed organisations.

    Who receives which topic (receiver, source or both) is `domain.routing.recipient_orgs`.
    """
    await enqueue_deliveries(uow, event)


async def on_transition_upcoming(
    event: Envelope[TransitionUpcomingV1], uow: NotificationsUnitOfWork
) -> None:
    """Invite the case to an info session and notify the owning organisation.

    The webhook names the session the case was seated in (same event id).
    """
    invitation = await invite_to_info_session(uow, event)
    await enqueue_deliveries(uow, await naming_the_session(uow, event, invitation))
    if invitation.source_event_id == event.id:
        # A new invitation with a seat: the letter to the person (one per event).
        await notice_for_invitation(uow, invitation, source_event_id=event.id)


async def on_case_transferred(
    event: Envelope[CaseTransferredV1], uow: NotificationsUnitOfWork
) -> None:
    """Deliver the transfer and record the notices to the person from the receiver."""
    await enqueue_deliveries(uow, event)
    await notices_for_transfer(uow, event)


HANDLERS: Mapping[str, Handler[Any]] = {
    CaseTransferredV1.TOPIC: on_case_transferred,
    HandoverRequestedV1.TOPIC: on_lifecycle_event,
    HandoverAcceptedV1.TOPIC: on_lifecycle_event,
    HandoverRejectedV1.TOPIC: on_lifecycle_event,
    HandoverOverdueV1.TOPIC: on_lifecycle_event,
    TransitionUpcomingV1.TOPIC: on_transition_upcoming,
    ConsultationOverdueV1.TOPIC: on_lifecycle_event,
    CaseJointEndedV1.TOPIC: on_lifecycle_event,
}

CONSUMER_GROUPS: Mapping[str, Mapping[str, Handler[Any]]] = {GROUP_ID: HANDLERS}
