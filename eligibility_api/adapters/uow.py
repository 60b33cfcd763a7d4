"""The unit of work of eligibility_api, with its repositories and evaluation context."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eligibility_api.adapters.repositories import (
    CaseFactsRepository,
    CheckRepository,
    ScheduledTransitionRepository,
)
from eligibility_api.domain.config import RuleConfig
from shared.db.uow import UnitOfWork

Clock = Callable[[], date]
BERLIN = ZoneInfo("Europe/Berlin")


def berlin_today() -> date:
    """Today in Germany: legal deadlines run on the local calendar day, not the UTC one."""
    return datetime.now(BERLIN).date()


class EligibilityUnitOfWork(UnitOfWork):
    """Repositories bound to the transaction's session.

    It also carries what every use case evaluates with (rule readings, the clock, the event
    source), because consumer handlers receive only the event and the unit of work.
    """

    checks: CheckRepository
    cases: CaseFactsRepository
    transitions: ScheduledTransitionRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        outbox_signal: asyncio.Event | None = None,
        *,
        rules: RuleConfig | None = None,
        clock: Clock = berlin_today,
        source: str = "/eligibility_api",
    ) -> None:
        super().__init__(session_factory, outbox_signal)
        self.rules = rules or RuleConfig()
        self.clock = clock
        self.source = source

    def _start(self) -> None:
        self.checks = CheckRepository(self.session)
        self.cases = CaseFactsRepository(self.session)
        self.transitions = ScheduledTransitionRepository(self.session)
