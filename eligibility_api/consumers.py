"""Kafka consumers of eligibility_api (group `eligibility_api`); the runner commits for them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.use_cases.cases import (
    CaseFactsChanged,
    HandoverToDecide,
    apply_case_facts,
    decide_handover,
)
from shared.events.case import CaseRegisteredV1, CaseUpdatedV1
from shared.events.envelope import Envelope
from shared.events.handover import HandoverRequestedV1
from shared.messaging.consumer import Handler

GROUP_ID = "eligibility_api"


def _facts_changed(
    event: Envelope[CaseRegisteredV1] | Envelope[CaseUpdatedV1], changed_at: datetime
) -> CaseFactsChanged:
    data = event.data
    return CaseFactsChanged(
        event_id=event.id,
        correlation_id=event.correlationid,
        case_id=data.case_id,
        owner_org=data.owner_org,
        municipality=data.municipality,
        facts=data.facts,
        changed_at=changed_at,
    )


async def on_case_registered(event: Envelope[CaseRegisteredV1], uow: EligibilityUnitOfWork) -> None:
    """Project the new case's facts and publish its case-level decision."""
    await apply_case_facts(uow, _facts_changed(event, event.data.registered_at))


async def on_case_updated(event: Envelope[CaseUpdatedV1], uow: EligibilityUnitOfWork) -> None:
    """Re-project the case; a changed ALG I end date is scheduled anew."""
    await apply_case_facts(uow, _facts_changed(event, event.data.updated_at))


async def on_handover_requested(
    event: Envelope[HandoverRequestedV1], uow: EligibilityUnitOfWork
) -> None:
    """Decide at the transfer date and tell handover_api whether the target is confirmed."""
    data = event.data
    await decide_handover(
        uow,
        HandoverToDecide(
            event_id=event.id,
            correlation_id=event.correlationid,
            case_id=data.case_id,
            handover_id=data.handover_id,
            from_org=data.from_org,
            legal_domain_to=data.legal_domain_to,
            transfer_date=data.transfer_date,
            facts=data.facts,
        ),
    )


CONSUMER_GROUPS: Mapping[str, Mapping[str, Handler[Any]]] = {
    GROUP_ID: {
        CaseRegisteredV1.TOPIC: on_case_registered,
        CaseUpdatedV1.TOPIC: on_case_updated,
        HandoverRequestedV1.TOPIC: on_handover_requested,
    }
}
