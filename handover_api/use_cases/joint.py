"""Use cases of the U25 joint case: the lead, case conferences and the end (domain/joint.py).

A joint case begins when a `U25_JOINT` handover transfers (`handovers.advance`): the owner
keeps the case and the receiver becomes its partner. Both sides may then do everything here;
a third organisation gets 404 like for any case it does not work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from handover_api.adapters.tables import Case, CaseConference, Handover
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.domain.errors import NotJointCase, TransitionNotAllowed
from handover_api.domain.joint import (
    JointEndReason,
    LeadContact,
    NextStep,
    Participant,
    ensure_review_in_time,
)
from handover_api.domain.lifecycle import HandoverStatus
from handover_api.use_cases import audit
from handover_api.use_cases.outbox import announce
from shared.auth import Principal
from shared.db.base import utcnow
from shared.etag import check_if_match
from shared.events.case import CaseJointEndedV1
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.problems import NotFound


async def _locked_joint_case(
    uow: HandoverUnitOfWork, actor: Principal, case_id: uuid.UUID, if_match: str | None
) -> Case:
    """The caller's joint case, locked and checked against If-Match."""
    case = await uow.cases.get(case_id, actor.org, for_update=True)
    if case is None:
        raise NotFound("case not found")
    check_if_match(if_match, case.version)
    if case.joint is None:
        raise NotJointCase("the case is not a joint case")
    return case


async def change_lead(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    if_match: str | None,
    lead_org: str,
    contact: LeadContact,
) -> Case:
    """Either side names the lead organisation and its caseworker; audited (no names)."""
    async with uow:
        case = await _locked_joint_case(uow, actor, case_id, if_match)
        case.change_lead(lead_org, contact, utcnow())
        audit.record(uow, actor, case.id, "case.joint_lead_changed", lead_org=lead_org)
        await uow.commit()
    return case


async def end_joint_case(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    if_match: str | None,
    reason: JointEndReason,
) -> Case:
    """The caller's side is no longer involved; the other keeps the case.

    The U25 handover that began the joint case is completed with it, so the case can be
    handed over again later. One the partner has not accepted yet is accepted or returned
    by the partner first.
    """
    async with uow:
        case = await _locked_joint_case(uow, actor, case_id, if_match)
        handover = await uow.handovers.active_for_case(case.id, for_update=True)
        now = utcnow()
        if handover is not None:
            if handover.current is not HandoverStatus.ACCEPTED:
                raise TransitionNotAllowed(
                    f"the U25 handover {handover.id} is {handover.status}: the partner "
                    "accepts or returns it before the joint case can end"
                )
            handover.complete(now)
            _save_handover(uow, actor, handover)
        ending = case.end_joint(actor.org, reason, now)
        audit.record(
            uow,
            actor,
            case.id,
            "case.joint_ended",
            kept_by_org=ending.kept_by_org,
            reason=reason.value,
        )
        await announce(
            uow,
            CaseJointEndedV1(
                case_id=case.id,
                left_org=ending.left_org,
                kept_by_org=ending.kept_by_org,
                reason=reason.value,
                ended_at=now,
            ),
            case.id,
        )
        await uow.commit()
    return case


def _save_handover(uow: HandoverUnitOfWork, actor: Principal, handover: Handover) -> None:
    """Audit the handover's recorded changes (completing it announces no event)."""
    for change in handover.pull_changes():
        audit.record(uow, actor, handover.case_id, change.action, **change.details)


@dataclass(frozen=True)
class RecordConference:
    """Input of `record_conference`."""

    held_on: date
    participants: tuple[Participant, ...]
    next_steps: tuple[NextStep, ...]
    next_review_date: date


async def record_conference(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    cmd: RecordConference,
    answer: Callable[[CaseConference], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Record a case conference of a joint case, by either side; audited."""
    ensure_review_in_time(cmd.held_on, cmd.next_review_date)
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        case = await uow.cases.get(case_id, actor.org, for_update=True)
        if case is None:
            raise NotFound("case not found")
        if case.joint is None:
            raise NotJointCase("case conferences are recorded for joint cases")
        conference = CaseConference(
            id=uuid.uuid4(),
            case_id=case.id,
            held_on=cmd.held_on,
            participants=cmd.participants,
            next_steps=cmd.next_steps,
            next_review_date=cmd.next_review_date,
            lead_org=case.joint.lead_org,
            recorded_by_org=actor.org,
            recorded_at=utcnow(),
        )
        uow.conferences.add(conference)
        audit.record(
            uow,
            actor,
            case.id,
            "case.conference_recorded",
            conference_id=conference.id,
            next_review_date=cmd.next_review_date.isoformat(),
        )
        await uow.session.flush()
        created = answer(conference)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    return created


async def list_conferences(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[CaseConference]:
    """Up to `limit` conferences of a case the caller works, by id; the read is audited."""
    async with uow:
        case = await uow.cases.get(case_id, actor.org)
        if case is None:
            raise NotFound("case not found")
        rows = await uow.conferences.list_for_case(case.id, after=after, limit=limit)
        await audit.record_read(uow, actor, [case.id], "case.conferences_listed")
    return rows
