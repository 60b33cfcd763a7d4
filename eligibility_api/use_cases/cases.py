"""Steps that consumers run inside their transaction: project case facts, decide handovers.

They never commit: the consumer runner commits the inbox row, the effect and the outbox rows
together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from eligibility_api.adapters.tables import CaseFacts
from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.use_cases.checks import new_check_row
from eligibility_api.use_cases.decisions import DecisionSnapshot, evaluate_facts
from shared.db.base import utcnow
from shared.events.eligibility import EligibilityDeterminedV1
from shared.events.envelope import make_event
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import LegalDomainCode
from shared.logging import get_logger

log = get_logger(__name__)

# Check ids derive from the event id, so a redelivered event finds its check and does nothing.
CHECK_ID_NAMESPACE = uuid.UUID("8a4f2c61-3d0e-5b7a-9c1e-2f6d8b0a4e17")


def check_id_for(event_id: uuid.UUID) -> uuid.UUID:
    """The id of the check an event produces."""
    return uuid.uuid5(CHECK_ID_NAMESPACE, str(event_id))


@dataclass(frozen=True, slots=True)
class CaseFactsChanged:
    """case.registered or case.updated, as the projection needs it."""

    event_id: uuid.UUID
    correlation_id: str | None
    case_id: uuid.UUID
    owner_org: str
    municipality: str | None
    facts: EligibilityFactsV1
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class HandoverToDecide:
    """handover.requested, as the decision needs it."""

    event_id: uuid.UUID
    correlation_id: str | None
    case_id: uuid.UUID
    handover_id: uuid.UUID
    from_org: str
    legal_domain_to: LegalDomainCode
    transfer_date: date
    facts: EligibilityFactsV1


async def apply_case_facts(uow: EligibilityUnitOfWork, change: CaseFactsChanged) -> None:
    """Project the facts, forecast the ALG I end as of today, publish a case-level decision."""
    check_id = check_id_for(change.event_id)
    if await uow.checks.exists(check_id):
        return
    case = await uow.cases.get(change.case_id)
    if case is not None and case.facts_changed_at > change.changed_at:
        # An older event (e.g. replayed from a DLQ) must not overwrite newer facts.
        log.info("eligibility.case_facts.stale", case_id=str(change.case_id))
        return
    today = uow.clock()
    decision = evaluate_facts(change.facts, today, uow.rules)
    now = utcnow()
    facts_json = change.facts.model_dump(mode="json")
    if case is None:
        uow.cases.add(
            CaseFacts(
                case_id=change.case_id,
                owner_org=change.owner_org,
                municipality=change.municipality,
                facts=facts_json,
                alg1_end_date=decision.key_dates.alg1_end_date,
                facts_changed_at=change.changed_at,
                updated_at=now,
            )
        )
    else:
        case.owner_org = change.owner_org
        case.municipality = change.municipality
        case.facts = facts_json
        case.alg1_end_date = decision.key_dates.alg1_end_date
        case.facts_changed_at = change.changed_at
        case.updated_at = now
    uow.checks.add(
        new_check_row(
            check_id=check_id,
            org=change.owner_org,
            origin="case",
            facts=change.facts,
            as_of=today,
            decision=decision,
            case_id=change.case_id,
        )
    )
    await _publish_determined(
        uow,
        case_id=change.case_id,
        handover_id=None,
        check_id=check_id,
        as_of=today,
        decision=decision,
        target_confirmed=None,
        correlation_id=change.correlation_id,
    )


async def decide_handover(uow: EligibilityUnitOfWork, handover: HandoverToDecide) -> None:
    """Decide at the transfer date whether the target Rechtskreis is responsible; publish it."""
    check_id = check_id_for(handover.event_id)
    if await uow.checks.exists(check_id):
        return
    decision = evaluate_facts(handover.facts, handover.transfer_date, uow.rules)
    uow.checks.add(
        new_check_row(
            check_id=check_id,
            org=handover.from_org,
            origin="handover",
            facts=handover.facts,
            as_of=handover.transfer_date,
            decision=decision,
            case_id=handover.case_id,
            handover_id=handover.handover_id,
        )
    )
    await _publish_determined(
        uow,
        case_id=handover.case_id,
        handover_id=handover.handover_id,
        check_id=check_id,
        as_of=handover.transfer_date,
        decision=decision,
        target_confirmed=decision.confirms(handover.legal_domain_to),
        correlation_id=handover.correlation_id,
    )


async def _publish_determined(
    uow: EligibilityUnitOfWork,
    *,
    case_id: uuid.UUID,
    handover_id: uuid.UUID | None,
    check_id: uuid.UUID,
    as_of: date,
    decision: DecisionSnapshot,
    target_confirmed: bool | None,
    correlation_id: str | None,
) -> None:
    await uow.publish(
        make_event(
            EligibilityDeterminedV1(
                case_id=case_id,
                handover_id=handover_id,
                check_id=check_id,
                as_of=as_of,
                legal_domain=decision.legal_domain,
                parallel_entitlements=decision.parallel_entitlements,
                responsible_org_type=decision.responsible_org_type,
                target_confirmed=target_confirmed,
                reasons=decision.reasons,
                warnings=decision.warnings,
                key_dates=decision.key_dates,
                rules_version=decision.rules_version,
                determined_at=utcnow(),
            ),
            source=uow.source,
            subject=str(case_id),
            correlation_id=correlation_id,
        )
    )
