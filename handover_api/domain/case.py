"""The case record's value objects and the changes of responsibility a handover makes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from shared.events.facts import EligibilityFactsV1
from shared.events.handover import IntegrationPlanV1, PlanGoalV1, PlanMeasureV1


@dataclass(frozen=True)
class ContactData:
    """How to reach the person; read only through the audited case endpoint."""

    given_name: str
    family_name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class PlanGoal:
    """A goal as a code (a target occupation, a language level), no free text."""

    code: str
    target_date: date | None = None


@dataclass(frozen=True)
class PlanMeasure:
    """A running or approved measure that must continue after a handover."""

    type: str
    start_date: date | None = None
    end_date: date | None = None
    cost_bearer: str | None = None
    status: str = "RUNNING"


@dataclass(frozen=True)
class PlanDraft:
    """An integration plan as a caller writes it: no ids, no version."""

    plan_type: str
    goals: tuple[PlanGoal, ...] = ()
    measures: tuple[PlanMeasure, ...] = ()
    next_review_date: date | None = None


def numbered_plan(draft: PlanDraft, previous: IntegrationPlanV1 | None) -> IntegrationPlanV1:
    """The plan with ids for itself, its goals and measures, and the next version number.

    The plan keeps its id across versions; goals and measures get new ids each version.
    """
    return IntegrationPlanV1(
        plan_id=previous.plan_id if previous is not None else uuid.uuid4(),
        plan_type=draft.plan_type,
        version=previous.version + 1 if previous is not None else 1,
        goals=tuple(
            PlanGoalV1(goal_id=uuid.uuid4(), code=g.code, target_date=g.target_date)
            for g in draft.goals
        ),
        measures=tuple(
            PlanMeasureV1(
                measure_id=uuid.uuid4(),
                type=m.type,
                start_date=m.start_date,
                end_date=m.end_date,
                cost_bearer=m.cost_bearer,
                status=m.status,
            )
            for m in draft.measures
        ),
        next_review_date=draft.next_review_date,
    )


class CaseAggregate:
    """Behaviour of a case record; `adapters/tables.Case` maps its state to `cases`."""

    if TYPE_CHECKING:
        id: uuid.UUID
        owner_org: str
        municipality: str | None
        person: ContactData
        facts: EligibilityFactsV1
        integration_plan: IntegrationPlanV1 | None
        version: int
        updated_at: datetime

    def hand_to(self, org: str, now: datetime) -> None:
        """Make `org` the organisation responsible for the case from now on."""
        self.owner_org = org
        self.touch(now)

    def touch(self, now: datetime) -> None:
        """A change of the record: a new version (and ETag)."""
        self.version += 1
        self.updated_at = now
