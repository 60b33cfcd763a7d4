"""eligibility_api's rule engine answering handover_api's events, on a fixed day.

The bridge reads what handover_api's relay published, decides with the real engine
(`eligibility_api.use_cases.decisions.evaluate_facts`) the way eligibility_api's consumers do
(case events as of the day, handover requests as of their transfer date) and hands the
`eligibility.determined` answers to handover_api's own consumer handler.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from eligibility_api.domain.config import RuleConfig
from eligibility_api.use_cases.decisions import evaluate_facts
from handover_api.consumers import consumer_groups
from handover_api.state import HandoverState
from shared.events.case import CaseRegisteredV1, CaseUpdatedV1
from shared.events.eligibility import EligibilityDeterminedV1
from shared.events.envelope import Envelope, make_event
from shared.events.handover import HandoverRequestedV1
from shared.events.registry import decode
from tests.integration.handover.conftest import HandoverHarness

ASKED = ("case.registered", "case.updated", "handover.requested")


@dataclass
class EngineBridge:
    """Answers every new case or handover event once, oldest first."""

    h: HandoverHarness
    today: date
    answered: set[uuid.UUID] = field(default_factory=set)
    answers: list[EligibilityDeterminedV1] = field(default_factory=list)

    async def settle(self, rounds: int = 5) -> None:
        """Publish, answer, repeat until nothing new is asked (at most `rounds` times)."""
        for _ in range(rounds):
            await self.h.drain_outbox()
            new = [
                decode(r.value)
                for r in self.h.publisher.records
                if r.topic in ASKED and decode(r.value).id not in self.answered
            ]
            if not new:
                return
            for event in new:
                self.answered.add(event.id)
                await self._answer(event)
        raise AssertionError(f"still asking after {rounds} rounds")

    async def _answer(self, event: Envelope[Any]) -> None:
        data = event.data
        if isinstance(data, CaseRegisteredV1 | CaseUpdatedV1):
            as_of, handover_id, target = self.today, None, None
        elif isinstance(data, HandoverRequestedV1):
            as_of, handover_id, target = data.transfer_date, data.handover_id, data.legal_domain_to
        else:  # pragma: no cover - ASKED lists the topics
            return
        decision = evaluate_facts(data.facts, as_of, RuleConfig())
        answer = EligibilityDeterminedV1(
            case_id=data.case_id,
            handover_id=handover_id,
            check_id=uuid.uuid4(),
            as_of=as_of,
            legal_domain=decision.legal_domain,
            parallel_entitlements=decision.parallel_entitlements,
            responsible_org_type=decision.responsible_org_type,
            target_confirmed=decision.confirms(target) if target is not None else None,
            reasons=decision.reasons,
            warnings=decision.warnings,
            key_dates=decision.key_dates,
            rules_version=decision.rules_version,
            # Later answers are later: the handover keeps the newest one.
            determined_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=len(self.answers)),
        )
        self.answers.append(answer)
        state: HandoverState = self.h.app.state.service
        handler = consumer_groups(state.transfer)["handover_api"]["eligibility.determined"]
        envelope = make_event(answer, source="/eligibility_api", subject=str(data.case_id))
        uow = state.make_uow()
        async with uow:
            await handler(envelope, uow)
            await uow.commit()


def fix_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    """handover_api's handover use cases see `at` as now (a dated scenario)."""
    for module in ("handover_api.use_cases.handovers", "handover_api.use_cases.asylum"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: at)
