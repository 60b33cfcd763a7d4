"""Use cases for info-session invitations (domain.md §2.1 steps 2-3, R1, R2)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from notifications_api.adapters.repositories import Position
from notifications_api.adapters.tables import InfoSession, Invitation
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.consultations import Attendance, check_attendance_possible
from notifications_api.domain.invitations import (
    InvitationStatus,
    consultation_due_date,
    normalise_location,
    session_window,
)
from shared.auth import Principal
from shared.db.base import utcnow
from shared.etag import check_if_match
from shared.events.envelope import Envelope
from shared.events.transition import TransitionUpcomingV1
from shared.logging import get_logger
from shared.problems import NotFound

log = get_logger(__name__)


async def invite_to_info_session(
    uow: NotificationsUnitOfWork, event: Envelope[TransitionUpcomingV1], now: datetime | None = None
) -> Invitation:
    """Invite the case to the next session with a free seat; pending when there is none.

    A repeated forecast with the same dates keeps the invitation; changed dates supersede
    it and give its seat back. The caller's transaction commits.
    """
    data = event.data
    at = now or utcnow()
    location = normalise_location(data.municipality)
    current = await uow.invitations.current_for_case(data.owner_org, data.case_id)
    for invitation in current:
        if (
            invitation.invitation_date == data.invitation_date
            and invitation.alg1_end_date == data.alg1_end_date
            and invitation.location == location
        ):
            return invitation
    for invitation in current:
        if invitation.session_id is not None:
            await uow.info_sessions.release_seat(invitation.session_id)
        invitation.status = InvitationStatus.SUPERSEDED.value
        invitation.updated_at = at
    invitation = Invitation(
        id=uuid.uuid4(),
        case_id=data.case_id,
        owner_org=data.owner_org,
        location=location,
        session_id=None,
        status=InvitationStatus.PENDING.value,
        invitation_date=data.invitation_date,
        alg1_end_date=data.alg1_end_date,
        session_starts_at=None,
        consultation_due_date=None,
        source_event_id=event.id,
        created_at=at,
        updated_at=at,
    )
    if location is not None:
        starts_from, starts_before = session_window(data.invitation_date, data.alg1_end_date)
        candidates = await uow.info_sessions.candidates(
            location, data.owner_org, max(starts_from, at), starts_before
        )
        for info_session in candidates:
            if await uow.info_sessions.book_seat(info_session.id):
                _assign(invitation, info_session, at)
                break
    uow.invitations.add(invitation)
    log.info(
        "invitation.created",
        invitation_id=str(invitation.id),
        case_id=str(data.case_id),
        status=invitation.status,
    )
    return invitation


def _assign(invitation: Invitation, info_session: InfoSession, now: datetime) -> None:
    invitation.session_id = info_session.id
    invitation.session_starts_at = info_session.starts_at
    invitation.consultation_due_date = consultation_due_date(info_session.starts_at)
    invitation.status = InvitationStatus.SCHEDULED.value
    invitation.updated_at = now


async def assign_pending_invitations(
    uow: NotificationsUnitOfWork, info_session: InfoSession, now: datetime
) -> int:
    """Give a new session's seats to pending invitations it fits, oldest invitation first."""
    assigned = 0
    waiting = await uow.invitations.pending_at(
        info_session.location, (info_session.agentur_org, info_session.jobcenter_org)
    )
    for invitation in waiting:
        if assigned >= info_session.capacity:
            break
        starts_from, starts_before = session_window(
            invitation.invitation_date, invitation.alg1_end_date
        )
        if not starts_from <= info_session.starts_at < starts_before:
            continue
        if not await uow.info_sessions.book_seat(info_session.id):
            break
        _assign(invitation, info_session, now)
        assigned += 1
    return assigned


async def list_invitations(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    *,
    case_id: uuid.UUID | None,
    after: Position | None,
    limit: int,
) -> Sequence[Invitation]:
    """Invitations of cases the caller owns or whose session it co-hosts (plus look-ahead)."""
    async with uow:
        return await uow.invitations.page(actor.org, case_id=case_id, after=after, limit=limit)


async def naming_the_session(
    uow: NotificationsUnitOfWork, event: Envelope[TransitionUpcomingV1], invitation: Invitation
) -> Envelope[Any]:
    """The invitation webhook: the forecast plus the session the case was seated in."""
    if invitation.session_id is None:
        return event
    info_session = await uow.info_sessions.get(invitation.owner_org, invitation.session_id)
    if info_session is None:
        return event
    data = event.data.model_copy(
        update={
            "session_id": info_session.id,
            "session_starts_at": info_session.starts_at,
            "session_location": info_session.location,
            "session_place": info_session.place,
        }
    )
    named: Envelope[Any] = event.model_copy(update={"data": data})
    return named


async def record_attendance(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    invitation_id: uuid.UUID,
    attendance: Attendance,
    if_match: str | None,
    now: datetime | None = None,
) -> Invitation:
    """Record whether the person came to the session; either host may, with If-Match."""
    at = now or utcnow()
    async with uow:
        invitation = await uow.invitations.get_visible(actor.org, invitation_id, for_update=True)
        if invitation is None:
            raise NotFound("invitation not found")
        check_if_match(if_match, invitation.version)
        check_attendance_possible(invitation.session_id)
        invitation.attendance = attendance.value
        invitation.attendance_recorded_at = at
        invitation.attendance_recorded_by = actor.org
        invitation.version += 1
        invitation.updated_at = at
        await uow.commit()
    log.info(
        "invitation.attendance_recorded",
        invitation_id=str(invitation.id),
        attendance=attendance.value,
    )
    return invitation


async def get_invitation(
    uow: NotificationsUnitOfWork, actor: Principal, invitation_id: uuid.UUID
) -> Invitation:
    """An invitation the caller owns or co-hosts; 404 for anyone else."""
    async with uow:
        invitation = await uow.invitations.get_visible(actor.org, invitation_id)
        if invitation is None:
            raise NotFound("invitation not found")
        return invitation
