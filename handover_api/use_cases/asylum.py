"""Refugees (Ahlen-Münster/Münster agreement): the BAMF decision starts or advances the handover.

Recording the decision changes the case's facts (announced as `case.updated`). A positive
decision starts a handover with reason ASYLUM_RECOGNISED to the Jobcenter serving the case's
municipality, or records the legal trigger (positive decision served) on the case's
preparing handover. Such a handover takes its transfer date from eligibility_api: the first
day of the Jobcenter's responsibility (key date `sgb2_start_date`), and waits for that day;
`transfer_due` moves it on when the day has come.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from handover_api.adapters.tables import Case, Handover
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.domain.competence import ServingOrganisation, competent_jobcenters
from handover_api.domain.documents import HandoverReason
from handover_api.domain.errors import UnknownOrganisation
from handover_api.domain.handover import RecordedTrigger, Trigger
from handover_api.domain.lifecycle import EligibilityStatus, HandoverStatus, TriggerType
from handover_api.use_cases import audit
from handover_api.use_cases.handovers import (
    HandoverView,
    TransferContext,
    _lock,
    _save,
    _view,
    advance,
    reevaluate_handover,
    request_decision,
)
from handover_api.use_cases.outbox import announce
from shared.auth import Principal
from shared.db.base import utcnow
from shared.etag import check_if_match
from shared.events.case import CaseUpdatedV1
from shared.events.facts import AsylumDecisionV1
from shared.logging import get_logger
from shared.problems import NotFound

log = get_logger(__name__)
S = HandoverStatus


class AsylumOutcome(StrEnum):
    """What recording the decision did to the case's handover."""

    HANDOVER_STARTED = "handover-started"
    HANDOVER_ADVANCED = "handover-advanced"
    HANDOVER_UNCHANGED = "handover-unchanged"
    NO_COMPETENT_JOBCENTER = "no-competent-jobcenter"
    NOT_POSITIVE = "not-positive"


OUTCOME_TEXT_DE: dict[AsylumOutcome, str] = {
    AsylumOutcome.HANDOVER_STARTED: "Die Übergabe an das zuständige Jobcenter wurde gestartet; "
    "sie erfolgt am ersten Tag seiner Zuständigkeit.",
    AsylumOutcome.HANDOVER_ADVANCED: "Die laufende Übergabe hat den zugestellten positiven "
    "Bescheid als rechtlichen Auslöser erhalten.",
    AsylumOutcome.HANDOVER_UNCHANGED: "Der Fall hat bereits eine Übergabe; sie bleibt, wie sie "
    "ist.",
    AsylumOutcome.NO_COMPETENT_JOBCENTER: "Für den Wohnort des Falls ist kein Jobcenter "
    "bekannt; es wurde keine Übergabe gestartet. Bitte Wohnort ergänzen oder die Übergabe "
    "selbst starten.",
    AsylumOutcome.NOT_POSITIVE: "Der Bescheid ist nicht positiv; es wurde keine Übergabe "
    "gestartet.",
}


@dataclass(frozen=True)
class AsylumDecisionRecorded:
    """The case after the decision, what happened to its handover, and that handover."""

    case: Case
    outcome: AsylumOutcome
    handover: HandoverView | None


def is_positive(decision: AsylumDecisionV1) -> bool:
    """Whether the decision grants protection (anything but a rejection)."""
    return decision.type != "ABGELEHNT"


async def record_asylum_decision(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    decision: AsylumDecisionV1,
    if_match: str | None,
    ctx: TransferContext,
) -> AsylumDecisionRecorded:
    """Record the decision on the case (audited) and start or advance the handover."""
    async with uow:
        case = await uow.cases.get(case_id, actor.org, for_update=True)
        if case is None:
            raise NotFound("case not found")
        check_if_match(if_match, case.version)
        now = utcnow()
        case.facts = case.facts.model_copy(update={"asylum_decision": decision})
        case.touch(now)
        # The operative part only: no reasons, nothing about the person.
        audit.record(
            uow, actor, case.id, "case.asylum_decision_recorded", decision_type=decision.type
        )
        await announce(
            uow,
            CaseUpdatedV1(
                case_id=case.id,
                owner_org=case.owner_org,
                municipality=case.municipality,
                facts=case.facts,
                changed_fields=("facts",),
                updated_at=now,
            ),
            case.id,
        )
        if not is_positive(decision):
            await reevaluate_handover(uow, case, ctx)
            outcome, view = AsylumOutcome.NOT_POSITIVE, None
        else:
            outcome, view = await _start_or_advance(uow, actor, case, decision, ctx, now)
        await uow.commit()
    log.info("handover.asylum_decision.recorded", case_id=str(case_id), outcome=outcome.value)
    return AsylumDecisionRecorded(case, outcome, view)


async def _start_or_advance(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case: Case,
    decision: AsylumDecisionV1,
    ctx: TransferContext,
    now: datetime,
) -> tuple[AsylumOutcome, HandoverView | None]:
    trigger = (
        Trigger(TriggerType.ASYLUM_DECISION_SERVED, decision.served_date)
        if decision.served_date is not None
        else None
    )
    active = await uow.handovers.active_for_case(case.id, for_update=True)
    if active is not None:
        if (
            trigger is None
            or active.trigger is not None
            or not active.before_transfer
            or active.from_org != actor.org
        ):
            await reevaluate_handover(uow, case, ctx)
            return AsylumOutcome.HANDOVER_UNCHANGED, await _view(uow, active)
        active.record_trigger(trigger, now)
        await advance(uow, active, case, ctx)
        await _save(uow, actor, active)
        return AsylumOutcome.HANDOVER_ADVANCED, await _view(uow, active)
    target = await _competent_jobcenter(uow, case.municipality)
    if target is None:
        return AsylumOutcome.NO_COMPETENT_JOBCENTER, None
    handover = await _open_handover(uow, actor, case, target, trigger, now)
    await advance(uow, handover, case, ctx)
    await _save(uow, actor, handover)
    return AsylumOutcome.HANDOVER_STARTED, await _view(uow, handover)


async def _competent_jobcenter(uow: HandoverUnitOfWork, municipality: str | None) -> str | None:
    """The Jobcenter serving `municipality` (§ 36 SGB II), if the broker knows one."""
    if municipality is None or not municipality.strip():
        return None
    organisations = [
        ServingOrganisation(o.id, o.type, tuple(o.municipalities))
        for o in await uow.organisations.list()
    ]
    competent = competent_jobcenters(municipality, organisations)
    return competent[0] if competent else None


async def _open_handover(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case: Case,
    to_org: str,
    trigger: Trigger | None,
    now: datetime,
) -> Handover:
    """A new ASYLUM_RECOGNISED handover dated by eligibility; announces handover.requested.

    Until eligibility answers, the transfer date is today: the answer names the first day
    of the Jobcenter's responsibility, and the handover then asks again for that day.
    """
    source = await uow.organisations.get(actor.org)
    target = await uow.organisations.get(to_org)
    if source is None or target is None:
        raise UnknownOrganisation("the caller's organisation is not registered with the broker")
    handover = Handover(
        id=uuid.uuid4(),
        case_id=case.id,
        active_case_id=case.id,
        reason=HandoverReason.ASYLUM_RECOGNISED.value,
        from_org=source.id,
        to_org=target.id,
        legal_domain_from=source.legal_domain,
        legal_domain_to=target.legal_domain,
        status=S.PREPARING.value,
        transfer_date=now.date(),
        transfer_date_from_eligibility=True,
        trigger=RecordedTrigger(trigger.type, trigger.occurred_on, now) if trigger else None,
        eligibility_status=EligibilityStatus.PENDING.value,
        eligibility=None,
        waivers=(),
        version=1,
        created_at=now,
        updated_at=now,
    )
    uow.handovers.add(handover)
    audit.record(
        uow, actor, case.id, "handover.requested", handover_id=handover.id, to_org=target.id
    )
    await request_decision(uow, handover, case)
    return handover


async def transfer_due(uow: HandoverUnitOfWork, ctx: TransferContext, limit: int = 100) -> int:
    """Move on the handovers dated by eligibility whose transfer date has come.

    Each handover is locked (case first) and re-assessed as after any other input; one
    whose other conditions hold transfers now. The caller commits.
    """
    today = utcnow().date()
    statement = (
        select(Handover.id)
        .where(
            Handover.transfer_date_from_eligibility.is_(True),
            Handover.status.in_([S.PREPARING.value, S.AWAITING_DOCUMENTS.value]),
            Handover.eligibility_status == EligibilityStatus.CONFIRMED.value,
            Handover.transfer_date <= today,
        )
        .order_by(Handover.transfer_date, Handover.id)
        .limit(limit)
    )
    ids = list((await uow.session.scalars(statement)).all())
    moved = 0
    for handover_id in ids:
        locked = await _lock(uow, handover_id, None)
        if locked is None:
            continue
        handover, case = locked
        if not handover.before_transfer:
            continue
        await advance(uow, handover, case, ctx)
        await _save(uow, audit.SYSTEM, handover)
        moved += handover.current is S.TRANSFERRED
    return moved
