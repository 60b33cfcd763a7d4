"""Event handlers of handover_api (consumer group `handover_api`)."""

from __future__ import annotations

from typing import Any

from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.use_cases.handovers import TransferContext, apply_eligibility
from shared.events.eligibility import EligibilityDeterminedV1
from shared.events.envelope import Envelope
from shared.messaging.consumer import Handler


def consumer_groups(context: TransferContext) -> dict[str, dict[str, Handler[Any]]]:
    """Handlers by topic, bound to the transfer context (signer, URLs, deadline)."""

    async def on_eligibility_determined(
        event: Envelope[EligibilityDeterminedV1], uow: HandoverUnitOfWork
    ) -> None:
        """Record the decision on its handover; the transfer may follow at once."""
        await apply_eligibility(uow, event, context)

    return {"handover_api": {EligibilityDeterminedV1.TOPIC: on_eligibility_determined}}
