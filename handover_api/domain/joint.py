"""The U25 joint case: two institutions responsible at once (domain.md §2.3, R4).

A young person's case is worked by the Agentur (SGB III, Berufsberatung) and the Jobcenter
(SGB II, U25 team) together: the owning organisation keeps the case, the partner becomes
co-responsible, one of them leads with a named staff contact, and both keep one shared
integration plan. Case conferences record who met, what was agreed about measures and when
the plan is reviewed next (after three months at the latest, § 37 SGB III). The joint case
ends when one side is no longer involved; the other keeps the case.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from handover_api.domain.errors import (
    InvalidLead,
    JointCaseActive,
    NotJointCase,
    ReviewTooLate,
)

# § 37 (2) SGB III: the agreement with a young person is reviewed after three months at
# the latest.
REVIEW_WITHIN_MONTHS = 3


@dataclass(frozen=True)
class LeadContact:
    """The caseworker who leads the joint case: a staff contact, not the person's."""

    name: str
    role: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class JointCase:
    """Who works the case together: the partner besides the owner, and who leads."""

    partner_org: str
    lead_org: str
    since: datetime
    # Named by either side once the joint case exists (None until then).
    lead_contact: LeadContact | None = None


class JointEndReason(StrEnum):
    """Why one side is no longer involved."""

    NO_LONGER_INVOLVED = "NO_LONGER_INVOLVED"  # e.g. no SGB II need any more
    AGED_OUT = "AGED_OUT"  # the person turned 25
    GOAL_REACHED = "GOAL_REACHED"  # training or work taken up
    MOVED_AWAY = "MOVED_AWAY"
    ENTERED_IN_ERROR = "ENTERED_IN_ERROR"
    OTHER = "OTHER"


@dataclass(frozen=True)
class JointEnding:
    """How a joint case ended: who left, who keeps the case."""

    left_org: str
    kept_by_org: str
    reason: JointEndReason
    ended_at: datetime


class ParticipantRole(StrEnum):
    """Roles at a case conference (staff functions, no names)."""

    BERUFSBERATUNG = "BERUFSBERATUNG"  # Agentur, SGB III
    ARBEITSVERMITTLUNG = "ARBEITSVERMITTLUNG"
    U25_TEAM = "U25_TEAM"  # Jobcenter, SGB II
    FALLMANAGEMENT = "FALLMANAGEMENT"
    INTEGRATIONSFACHKRAFT = "INTEGRATIONSFACHKRAFT"
    JUGENDAMT = "JUGENDAMT"  # SGB VIII, only with the person's consent
    TEAMLEITUNG = "TEAMLEITUNG"


class NextStepAction(StrEnum):
    """What a conference agreed about a measure or the plan (codes only, no free text)."""

    START_MEASURE = "START_MEASURE"
    CONTINUE_MEASURE = "CONTINUE_MEASURE"
    CHANGE_MEASURE = "CHANGE_MEASURE"
    END_MEASURE = "END_MEASURE"
    REVIEW_PLAN = "REVIEW_PLAN"
    CHANGE_LEAD = "CHANGE_LEAD"


@dataclass(frozen=True)
class Participant:
    """An organisation and the role in which it took part."""

    org: str
    role: ParticipantRole


@dataclass(frozen=True)
class NextStep:
    """An agreed step: an action code, the measure type it concerns and the measure if known."""

    action: NextStepAction
    measure_type: str | None = None
    measure_id: uuid.UUID | None = None


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day where it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_review_date(held_on: date) -> date:
    """The last day the plan may be reviewed after a conference on `held_on` (§ 37 SGB III)."""
    return add_months(held_on, REVIEW_WITHIN_MONTHS)


def ensure_review_in_time(held_on: date, next_review_date: date) -> None:
    """The next review lies after the conference and at most three months on."""
    latest = latest_review_date(held_on)
    if next_review_date < held_on or next_review_date > latest:
        raise ReviewTooLate(
            f"the next review must lie between {held_on.isoformat()} and {latest.isoformat()} "
            f"(§ 37 SGB III: at the latest three months after the conference)"
        )


class JointResponsibility:
    """The joint-case behaviour of a case record (mixed into `CaseAggregate`)."""

    if TYPE_CHECKING:
        owner_org: str
        joint: JointCase | None
        joint_partner_org: str | None

        def touch(self, now: datetime) -> None: ...

    def responsible(self, org: str) -> bool:
        """Whether `org` works the case: its owner, or the partner of a joint case."""
        return org == self.owner_org or (self.joint is not None and org == self.joint.partner_org)

    def share_with(self, partner_org: str, now: datetime) -> None:
        """Make `partner_org` co-responsible; the owner keeps the case and leads at first."""
        if self.joint is not None:
            raise JointCaseActive(
                f"the case is already worked jointly with {self.joint_partner_org}"
            )
        if partner_org == self.owner_org:
            raise InvalidLead("a case cannot be shared with its own organisation")
        self.joint = JointCase(partner_org=partner_org, lead_org=self.owner_org, since=now)
        self.joint_partner_org = partner_org
        self.touch(now)

    def change_lead(self, lead_org: str, contact: LeadContact, now: datetime) -> JointCase:
        """One of the two organisations leads, with a named caseworker."""
        joint = self._joint()
        if lead_org not in (self.owner_org, joint.partner_org):
            raise InvalidLead(
                f"the lead must be {self.owner_org} or {joint.partner_org}, not {lead_org}"
            )
        self.joint = JointCase(joint.partner_org, lead_org, joint.since, contact)
        self.touch(now)
        return self.joint

    def end_joint(self, leaving_org: str, reason: JointEndReason, now: datetime) -> JointEnding:
        """`leaving_org` is no longer involved; the other side keeps the case alone.

        If the owner leaves, the case moves to the partner.
        """
        joint = self._joint()
        if leaving_org == self.owner_org:
            kept_by = joint.partner_org
            self.owner_org = kept_by
        elif leaving_org == joint.partner_org:
            kept_by = self.owner_org
        else:  # pragma: no cover - the repository only finds the case for the two sides
            raise NotJointCase(f"{leaving_org} does not work this case")
        self.joint = None
        self.joint_partner_org = None
        self.touch(now)
        return JointEnding(leaving_org, kept_by, reason, now)

    def _joint(self) -> JointCase:
        if self.joint is None:
            raise NotJointCase("the case is not a joint case")
        return self.joint
