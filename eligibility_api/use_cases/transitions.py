"""Stage transition.upcoming once per (case, ALG I end date) when the end is near."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from eligibility_api.adapters.tables import ScheduledTransition
from eligibility_api.adapters.uow import EligibilityUnitOfWork
from shared.db.base import utcnow
from shared.events.envelope import make_event
from shared.events.transition import TransitionUpcomingV1
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DueTransition:
    """A projected case whose ALG I end date lies within the lead time."""

    case_id: uuid.UUID
    owner_org: str
    municipality: str | None
    alg1_end_date: date


def invitation_date_for(alg1_end_date: date, lead_days: int, today: date) -> date:
    """The day the invitation is due: lead days before the end, never before today."""
    return max(alg1_end_date - timedelta(days=lead_days), today)


async def schedule_due_transitions(
    make_uow: Callable[[], EligibilityUnitOfWork], *, lead_days: int, batch_size: int
) -> int:
    """Schedule one batch of due transitions; returns how many this call staged.

    Each case commits in its own transaction: the scheduled_transitions row and the outbox row
    together. The unique key (case_id, alg1_end_date) makes a concurrent second scheduler
    (another replica, or one that outlived its lease) fail instead of publishing twice.
    """
    async with make_uow() as uow:
        today = uow.clock()
        rows = await uow.cases.due_for_transition(
            today, today + timedelta(days=lead_days), batch_size
        )
        due = [
            DueTransition(r.case_id, r.owner_org, r.municipality, r.alg1_end_date)
            for r in rows
            if r.alg1_end_date is not None
        ]
    staged = 0
    for item in due:
        async with make_uow() as uow:
            event = make_event(
                TransitionUpcomingV1(
                    case_id=item.case_id,
                    owner_org=item.owner_org,
                    municipality=item.municipality,
                    alg1_end_date=item.alg1_end_date,
                    invitation_date=invitation_date_for(item.alg1_end_date, lead_days, today),
                    scheduled_at=utcnow(),
                ),
                source=uow.source,
                subject=str(item.case_id),
            )
            uow.transitions.add(
                ScheduledTransition(
                    case_id=item.case_id,
                    alg1_end_date=item.alg1_end_date,
                    invitation_date=event.data.invitation_date,
                    event_id=event.id,
                    scheduled_at=event.data.scheduled_at,
                )
            )
            await uow.publish(event)
            try:
                await uow.commit()
            except IntegrityError:
                log.info(
                    "eligibility.transition.already_scheduled",
                    case_id=str(item.case_id),
                    alg1_end_date=item.alg1_end_date.isoformat(),
                )
                continue
        staged += 1
        log.info(
            "eligibility.transition.scheduled",
            case_id=str(item.case_id),
            alg1_end_date=item.alg1_end_date.isoformat(),
        )
    return staged
