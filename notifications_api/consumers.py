"""Event handlers of the consumer group `notifications_api`; the runner commits after each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.use_cases.deliveries import enqueue_deliveries
from notifications_api.use_cases.invitations import invite_to_info_session
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
    """Invite the case to an info session and notify the owning organisation."""
    await invite_to_info_session(uow, event)
    await enqueue_deliveries(uow, event)


HANDLERS: Mapping[str, Handler[Any]] = {
    CaseTransferredV1.TOPIC: on_lifecycle_event,
    HandoverRequestedV1.TOPIC: on_lifecycle_event,
    HandoverAcceptedV1.TOPIC: on_lifecycle_event,
    HandoverRejectedV1.TOPIC: on_lifecycle_event,
    HandoverOverdueV1.TOPIC: on_lifecycle_event,
    TransitionUpcomingV1.TOPIC: on_transition_upcoming,
}

CONSUMER_GROUPS: Mapping[str, Mapping[str, Handler[Any]]] = {GROUP_ID: HANDLERS}
