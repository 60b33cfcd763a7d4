"""Use cases for the individual consultation after an info session (domain.md §4.1 R2)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from notifications_api.adapters.repositories import Position
from notifications_api.adapters.tables import Consultation
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.consultations import (
    ConsultationChannel,
    ConsultationStatus,
    check_slot,
    next_status,
)
from notifications_api.domain.invitations import (
    CONSULTATION_WITHIN,
    consultation_due_date,
    local_date,
    start_of_local_day,
)
from notifications_api.use_cases.notices import notice_for_consultation
from shared.auth import Principal
from shared.db.base import utcnow
from shared.etag import check_if_match
from shared.events.consultation import ConsultationOverdueV1
from shared.events.envelope import make_event
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.logging import get_logger
from shared.problems import NotFound

log = get_logger(__name__)

SOURCE = "/notifications_api"
# Invitations reported per run of the overdue check; a full batch runs again at once.
OVERDUE_BATCH = 200


@dataclass(frozen=True)
class BookConsultation:
    """Input of `book_consultation`."""

    invitation_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    channel: ConsultationChannel
    place: str | None


async def book_consultation(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    cmd: BookConsultation,
    answer: Callable[[Consultation], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Book the consultation within four weeks of the session the person attended."""
    now = utcnow()
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        invitation = await uow.invitations.get_visible(actor.org, cmd.invitation_id)
        if invitation is None or invitation.session_id is None:
            raise NotFound("invitation not found")
        info_session = await uow.info_sessions.get(invitation.owner_org, invitation.session_id)
        if info_session is None:
            raise NotFound("invitation not found")
        check_slot(invitation.attendance, invitation.session_starts_at, cmd.starts_at, cmd.ends_at)
        consultation = Consultation(
            id=uuid.uuid4(),
            invitation_id=invitation.id,
            case_id=invitation.case_id,
            session_id=info_session.id,
            owner_org=invitation.owner_org,
            agentur_org=info_session.agentur_org,
            jobcenter_org=info_session.jobcenter_org,
            starts_at=cmd.starts_at,
            ends_at=cmd.ends_at,
            channel=cmd.channel.value,
            place=cmd.place,
            status=ConsultationStatus.BOOKED.value,
            version=1,
            created_by_org=actor.org,
            created_at=now,
            updated_at=now,
        )
        uow.consultations.add(consultation)
        await uow.session.flush()
        # The appointment confirmation to the person, in the booking's transaction.
        await notice_for_consultation(uow, consultation, now=now)
        created = answer(consultation)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    log.info("consultation.booked", consultation_id=str(consultation.id))
    return created


async def get_consultation(
    uow: NotificationsUnitOfWork, actor: Principal, consultation_id: uuid.UUID
) -> Consultation:
    """A consultation of one of the caller's institutions; 404 for anyone else."""
    async with uow:
        consultation = await uow.consultations.get(actor.org, consultation_id)
        if consultation is None:
            raise NotFound("consultation not found")
        return consultation


async def list_consultations(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    *,
    case_id: uuid.UUID | None,
    after: Position | None,
    limit: int,
) -> Sequence[Consultation]:
    """Consultations of the caller's institutions, newest first (plus one look-ahead row)."""
    async with uow:
        return await uow.consultations.page(actor.org, case_id=case_id, after=after, limit=limit)


async def record_outcome(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    consultation_id: uuid.UUID,
    status: ConsultationStatus,
    if_match: str | None,
) -> Consultation:
    """Record that a booked consultation was held, cancelled or missed (If-Match)."""
    now = utcnow()
    async with uow:
        consultation = await uow.consultations.get(actor.org, consultation_id, for_update=True)
        if consultation is None:
            raise NotFound("consultation not found")
        check_if_match(if_match, consultation.version)
        consultation.status = next_status(consultation.status, status).value
        consultation.version += 1
        consultation.updated_at = now
        await uow.commit()
    log.info("consultation.status_recorded", consultation_id=str(consultation.id), status=status)
    return consultation


async def report_overdue_consultations(uow: NotificationsUnitOfWork, now: datetime) -> int:
    """Stage `consultation.overdue` once per attended session without a held consultation
    in its four weeks; the caller commits.

    The marker on the invitation and the outbox row commit together, so a crash between
    them cannot report an invitation twice or not at all.
    """
    # Overdue from the day after session date + 28 days: sessions before that local midnight.
    due_before = start_of_local_day(local_date(now) - CONSULTATION_WITHIN)
    invitations = await uow.invitations.due_for_consultation_overdue(due_before, OVERDUE_BATCH)
    for invitation in invitations:
        if invitation.session_id is None or invitation.session_starts_at is None:
            continue
        info_session = await uow.info_sessions.get(invitation.owner_org, invitation.session_id)
        if info_session is None:
            continue
        event = make_event(
            ConsultationOverdueV1(
                invitation_id=invitation.id,
                case_id=invitation.case_id,
                owner_org=invitation.owner_org,
                agentur_org=info_session.agentur_org,
                jobcenter_org=info_session.jobcenter_org,
                session_id=info_session.id,
                session_starts_at=info_session.starts_at,
                consultation_due_date=consultation_due_date(info_session.starts_at),
                detected_at=now,
            ),
            source=SOURCE,
            subject=str(invitation.case_id),
        )
        await uow.publish(event)
        invitation.consultation_overdue_at = now
        invitation.updated_at = now
        log.info("consultation.overdue", invitation_id=str(invitation.id))
    return len(invitations)
