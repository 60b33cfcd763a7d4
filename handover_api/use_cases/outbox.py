"""Staging handover_api's events in the outbox, keyed by the case they are about."""

from __future__ import annotations

import uuid

from handover_api.adapters.uow import HandoverUnitOfWork
from shared.events.base import EventData
from shared.events.envelope import make_event

SOURCE = "/handover_api"


async def announce(uow: HandoverUnitOfWork, data: EventData, case_id: uuid.UUID) -> None:
    """Stage an event about a case in the outbox (key and subject: the case id)."""
    await uow.publish(make_event(data, source=SOURCE, subject=str(case_id)))
