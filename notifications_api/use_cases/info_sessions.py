"""Use cases for the info-session calendar (domain.md §4.1 R1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from notifications_api.adapters.tables import InfoSession
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.cooperation import ensure_partners
from notifications_api.domain.errors import InfoSessionNotHosted
from notifications_api.use_cases.invitations import assign_pending_invitations
from shared.auth import Principal
from shared.db.base import utcnow
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer


@dataclass(frozen=True)
class ScheduleInfoSession:
    """Input of `schedule_info_session`."""

    location: str
    starts_at: datetime
    capacity: int
    agentur_org: str
    jobcenter_org: str


async def schedule_info_session(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    cmd: ScheduleInfoSession,
    answer: Callable[[InfoSession], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Add a joint session hosted by the caller's organisation; seat waiting invitations.

    The answer is stored under the Idempotency-Key in the same transaction, so a repeat
    gets the first answer back and schedules nothing.
    """
    if actor.org not in (cmd.agentur_org, cmd.jobcenter_org):
        raise InfoSessionNotHosted("your organisation must be the Agentur or the Jobcenter")
    ensure_partners(cmd.agentur_org, cmd.jobcenter_org)
    now = utcnow()
    info_session = InfoSession(
        id=uuid.uuid4(),
        location=cmd.location,
        starts_at=cmd.starts_at,
        capacity=cmd.capacity,
        booked=0,
        agentur_org=cmd.agentur_org,
        jobcenter_org=cmd.jobcenter_org,
        created_by_org=actor.org,
        created_at=now,
    )
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        uow.info_sessions.add(info_session)
        await uow.session.flush()
        # Sessions in the past take no one; new ones seat invitations that were waiting.
        seated = info_session.starts_at > now and await assign_pending_invitations(
            uow, info_session, now
        )
        if seated:
            await uow.session.refresh(info_session)
        created = answer(info_session)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    return created


async def list_info_sessions(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    *,
    location: str | None,
    starts_from: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[InfoSession]:
    """Sessions the caller's organisation hosts, in start order (plus one look-ahead row)."""
    async with uow:
        return await uow.info_sessions.page(
            actor.org, location=location, starts_from=starts_from, after=after, limit=limit
        )
