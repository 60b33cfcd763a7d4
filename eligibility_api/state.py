"""The typed state of eligibility_api, built in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.settings import EligibilitySettings
from shared.web import ServiceState


@dataclass(frozen=True)
class EligibilityState(ServiceState[EligibilitySettings, EligibilityUnitOfWork]):
    """Runtime, settings and the UoW factory (with the rule set and clock bound in)."""
