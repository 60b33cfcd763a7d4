"""The case record's value objects and the changes of responsibility a handover makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from handover_api.domain.errors import DuplicateMeasure, UnknownPlanItem
from handover_api.domain.joint import JointCase, JointResponsibility
from handover_api.domain.lifecycle import HandoverStatus
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import IntegrationPlanV1, PlanGoalV1, PlanMeasureV1


@dataclass(frozen=True)
class PostalAddress:
    """Where a letter reaches the person."""

    street: str
    postal_code: str
    town: str


@dataclass(frozen=True)
class ContactData:
    """How to reach the person; read only through the audited case and contact endpoints."""

    given_name: str
    family_name: str
    email: str | None = None
    phone: str | None = None
    address: PostalAddress | None = None


@dataclass(frozen=True)
class PlanGoal:
    """A goal as a code (a target occupation, a language level), no free text."""

    code: str
    target_date: date | None = None
    # The id of a goal of the current plan to keep it; None for a new goal.
    goal_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PlanMeasure:
    """A running or approved measure that must continue after a handover."""

    type: str
    start_date: date | None = None
    end_date: date | None = None
    cost_bearer: str | None = None
    status: str = "RUNNING"
    # The id of a measure of the current plan to keep it; None for a new measure.
    measure_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PlanDraft:
    """An integration plan as a caller writes it: no ids, no version."""

    plan_type: str
    goals: tuple[PlanGoal, ...] = ()
    measures: tuple[PlanMeasure, ...] = ()
    next_review_date: date | None = None


def numbered_plan(draft: PlanDraft, previous: IntegrationPlanV1 | None) -> IntegrationPlanV1:
    """The plan with ids for itself, its goals and measures, and the next version number.

    The plan keeps its id across versions. A goal or measure sent with the id of one in
    `previous` keeps that id, so a receiver can follow it across edits and handovers; one
    sent without an id is new and gets a fresh one. An id the current plan does not hold
    is refused, and so is a measure that duplicates another (`ensure_no_duplicate_measure`).
    """
    goal_ids = _kept_ids(
        "goal",
        [g.goal_id for g in draft.goals],
        {g.goal_id for g in previous.goals} if previous else set(),
    )
    measure_ids = _kept_ids(
        "measure",
        [m.measure_id for m in draft.measures],
        {m.measure_id for m in previous.measures} if previous else set(),
    )
    measures = tuple(
        PlanMeasureV1(
            measure_id=measure_id,
            type=m.type,
            start_date=m.start_date,
            end_date=m.end_date,
            cost_bearer=m.cost_bearer,
            status=m.status,
        )
        for m, measure_id in zip(draft.measures, measure_ids, strict=True)
    )
    ensure_no_duplicate_measure(
        measures, kept={m.measure_id for m in draft.measures if m.measure_id is not None}
    )
    return IntegrationPlanV1(
        plan_id=previous.plan_id if previous is not None else uuid.uuid4(),
        plan_type=draft.plan_type,
        version=previous.version + 1 if previous is not None else 1,
        goals=tuple(
            PlanGoalV1(goal_id=goal_id, code=g.code, target_date=g.target_date)
            for g, goal_id in zip(draft.goals, goal_ids, strict=True)
        ),
        measures=measures,
        next_review_date=draft.next_review_date,
    )


def _kept_ids(
    kind: str, sent: Sequence[uuid.UUID | None], current: set[uuid.UUID]
) -> list[uuid.UUID]:
    """The ids sent where they name an item of the current plan (once), fresh ones elsewhere."""
    seen: set[uuid.UUID] = set()
    ids: list[uuid.UUID] = []
    for item_id in sent:
        if item_id is None:
            ids.append(uuid.uuid4())
            continue
        if item_id not in current:
            raise UnknownPlanItem(f"the current plan has no {kind} {item_id}")
        if item_id in seen:
            raise UnknownPlanItem(f"{kind} {item_id} is listed twice")
        seen.add(item_id)
        ids.append(item_id)
    return ids


def _overlap(a: PlanMeasureV1, b: PlanMeasureV1) -> bool:
    """Whether two periods share a day; an open start or end reaches without limit."""
    a_start, a_end = a.start_date or date.min, a.end_date or date.max
    b_start, b_end = b.start_date or date.min, b.end_date or date.max
    return a_start <= b_end and b_start <= a_end


def ensure_no_duplicate_measure(
    measures: Sequence[PlanMeasureV1], kept: Set[uuid.UUID] = frozenset()
) -> None:
    """A measure exists once in a plan: no two of one type and cost bearer overlap in time.

    (domain.md §2.3, R4: no parallel structures.) The error names the measure that was there
    first: of two clashing ones the one kept from the current plan (`kept`), else the earlier.
    """
    for index, measure in enumerate(measures):
        for earlier in measures[:index]:
            if (
                earlier.type == measure.type
                and earlier.cost_bearer == measure.cost_bearer
                and _overlap(earlier, measure)
            ):
                existing = measure if measure.measure_id in kept else earlier
                if earlier.measure_id in kept:
                    existing = earlier
                raise DuplicateMeasure(
                    f"measure {existing.measure_id} ({existing.type}, cost bearer "
                    f"{existing.cost_bearer or 'none'}) already covers this period",
                    existing_measure_id=existing.measure_id,
                )


class ContactPurpose(StrEnum):
    """Why a service reads a person's contact data (recorded in the audit trail)."""

    NOTICE = "notice"  # a notice to the person: letter or e-mail
    CONSULTATION = "consultation"  # arranging an appointment with the person


class CaseStatus(StrEnum):
    """Where a case stands, derived from its active handover (it has no status of its own).

    * `active`: no handover is running; the responsible organisation works the case.
    * `handover_pending`: a handover was started and has not transferred yet (preparing,
      awaiting documents, or ineligible while it still counts as active).
    * `transferred`: the case moved to the organisation responsible now, which has not
      completed the handover yet (transferred or accepted).
    """

    ACTIVE = "active"
    HANDOVER_PENDING = "handover_pending"
    TRANSFERRED = "transferred"


H = HandoverStatus
# The active handover statuses each derived case status stands for.
HANDOVER_STATUSES: dict[CaseStatus, frozenset[HandoverStatus]] = {
    CaseStatus.HANDOVER_PENDING: frozenset({H.PREPARING, H.AWAITING_DOCUMENTS, H.INELIGIBLE}),
    CaseStatus.TRANSFERRED: frozenset({H.TRANSFERRED, H.ACCEPTED}),
}


def case_status(active_handover: str | None) -> CaseStatus:
    """The case's status given the status of its active handover (None: there is none)."""
    if active_handover is None:
        return CaseStatus.ACTIVE
    for status, handover_statuses in HANDOVER_STATUSES.items():
        if active_handover in handover_statuses:
            return status
    return CaseStatus.ACTIVE


class CaseAggregate(JointResponsibility):
    """Behaviour of a case record; `adapters/tables.Case` maps its state to `cases`."""

    if TYPE_CHECKING:
        id: uuid.UUID
        owner_org: str
        # The U25 joint case (domain/joint.py): the partner organisation is co-responsible.
        joint: JointCase | None
        joint_partner_org: str | None
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
