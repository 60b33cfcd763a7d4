"""The U25 joint case as pure rules: sharing, the lead, the end, the review within 3 months."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from handover_api.domain.case import CaseAggregate
from handover_api.domain.errors import InvalidLead, JointCaseActive, NotJointCase, ReviewTooLate
from handover_api.domain.joint import (
    JointEndReason,
    LeadContact,
    add_months,
    ensure_review_in_time,
    latest_review_date,
)

NOW = datetime(2026, 3, 12, 9, tzinfo=UTC)
AGENCY = "agentur-hagen"
JOBCENTER = "jobcenter-ennepe-ruhr"
CONTACT = LeadContact("Jonas Berger", "Berufsberatung U25", phone="02331 202-123")


class FakeCase(CaseAggregate):
    """A case record without a database."""

    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.owner_org = AGENCY
        self.joint = None
        self.joint_partner_org = None
        self.version = 1
        self.updated_at = NOW


def shared_case() -> FakeCase:
    case = FakeCase()
    case.share_with(JOBCENTER, NOW)
    return case


class TestSharing:
    def test_the_owner_stays_and_leads_the_partner_is_co_responsible(self) -> None:
        case = shared_case()

        assert case.owner_org == AGENCY
        assert case.joint is not None
        assert (case.joint.partner_org, case.joint.lead_org) == (JOBCENTER, AGENCY)
        assert case.joint_partner_org == JOBCENTER
        assert case.responsible(AGENCY)
        assert case.responsible(JOBCENTER)
        assert not case.responsible("jobcenter-muenster")
        assert case.version == 2

    def test_a_joint_case_is_not_shared_twice(self) -> None:
        case = shared_case()

        with pytest.raises(JointCaseActive):
            case.share_with("jobcenter-muenster", NOW)


class TestLead:
    def test_either_organisation_leads_with_a_named_caseworker(self) -> None:
        case = shared_case()

        joint = case.change_lead(JOBCENTER, CONTACT, NOW)

        assert joint.lead_org == JOBCENTER
        assert joint.lead_contact == CONTACT
        assert joint.partner_org == JOBCENTER

    def test_a_third_organisation_cannot_lead(self) -> None:
        with pytest.raises(InvalidLead):
            shared_case().change_lead("jobcenter-muenster", CONTACT, NOW)

    def test_a_case_of_one_organisation_has_no_lead(self) -> None:
        with pytest.raises(NotJointCase):
            FakeCase().change_lead(AGENCY, CONTACT, NOW)


class TestEnd:
    def test_the_partner_leaves_and_the_owner_keeps_the_case(self) -> None:
        case = shared_case()

        ending = case.end_joint(JOBCENTER, JointEndReason.NO_LONGER_INVOLVED, NOW)

        assert (ending.left_org, ending.kept_by_org) == (JOBCENTER, AGENCY)
        assert case.owner_org == AGENCY
        assert case.joint is None
        assert case.joint_partner_org is None

    def test_the_owner_leaves_and_the_case_moves_to_the_partner(self) -> None:
        case = shared_case()

        ending = case.end_joint(AGENCY, JointEndReason.AGED_OUT, NOW)

        assert (ending.left_org, ending.kept_by_org) == (AGENCY, JOBCENTER)
        assert case.owner_org == JOBCENTER
        assert not case.responsible(AGENCY)


class TestReviewWithinThreeMonths:
    """§ 37 SGB III: the plan of a young person is reviewed after three months at the latest."""

    @pytest.mark.parametrize(
        ("held_on", "latest"),
        [
            (date(2026, 3, 12), date(2026, 6, 12)),
            (date(2026, 11, 30), date(2027, 2, 28)),
            (date(2027, 11, 30), date(2028, 2, 29)),
            (date(2026, 1, 31), date(2026, 4, 30)),
        ],
    )
    def test_the_latest_review_date(self, held_on: date, latest: date) -> None:
        assert latest_review_date(held_on) == latest

    def test_the_last_day_passes_the_next_is_refused(self) -> None:
        ensure_review_in_time(date(2026, 3, 12), date(2026, 6, 12))
        with pytest.raises(ReviewTooLate):
            ensure_review_in_time(date(2026, 3, 12), date(2026, 6, 13))

    def test_a_review_before_the_conference_is_refused(self) -> None:
        with pytest.raises(ReviewTooLate):
            ensure_review_in_time(date(2026, 3, 12), date(2026, 3, 11))

    def test_months_roll_over_the_year(self) -> None:
        assert add_months(date(2026, 12, 15), 3) == date(2027, 3, 15)
