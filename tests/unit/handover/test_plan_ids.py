"""numbered_plan keeps ids it is given, refuses foreign ones and duplicate measures."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from handover_api.domain.case import (
    CaseStatus,
    PlanDraft,
    PlanGoal,
    PlanMeasure,
    case_status,
    numbered_plan,
)
from handover_api.domain.documents import DocumentType, HandoverReason
from handover_api.domain.errors import DuplicateMeasure, UnknownPlanItem
from handover_api.domain.lifecycle import HandoverStatus
from handover_api.domain.reference import DOCUMENT_LABELS, REASON_LABELS

MAT = PlanMeasure("MAT", date(2026, 3, 1), date(2026, 4, 30), "AGENTUR")
BVB = PlanMeasure("BVB", date(2026, 9, 1), date(2027, 6, 30), "AGENTUR")


def draft(*measures: PlanMeasure, goals: tuple[PlanGoal, ...] = ()) -> PlanDraft:
    return PlanDraft("FOERDERPLAN", goals=goals, measures=measures)


class TestIds:
    def test_a_first_plan_numbers_everything_fresh(self) -> None:
        plan = numbered_plan(draft(MAT, BVB, goals=(PlanGoal("KLDB_25102"),)), None)
        assert plan.version == 1
        assert len({m.measure_id for m in plan.measures}) == 2

    def test_kept_ids_stay_and_new_ones_are_fresh(self) -> None:
        first = numbered_plan(draft(MAT, goals=(PlanGoal("A1"),)), None)
        kept = PlanMeasure(
            "MAT",
            date(2026, 3, 1),
            date(2026, 5, 31),
            "AGENTUR",
            measure_id=first.measures[0].measure_id,
        )
        second = numbered_plan(
            draft(BVB, kept, goals=(PlanGoal("A1", goal_id=first.goals[0].goal_id),)), first
        )
        assert second.plan_id == first.plan_id
        assert second.version == 2
        assert second.measures[1].measure_id == first.measures[0].measure_id
        assert second.measures[1].end_date == date(2026, 5, 31)
        assert second.measures[0].measure_id != first.measures[0].measure_id
        assert second.goals[0].goal_id == first.goals[0].goal_id

    def test_an_id_the_plan_does_not_hold_is_refused(self) -> None:
        first = numbered_plan(draft(MAT), None)
        stray = PlanMeasure("BVB", measure_id=uuid.uuid4())
        with pytest.raises(UnknownPlanItem):
            numbered_plan(draft(stray), first)
        with pytest.raises(UnknownPlanItem):
            numbered_plan(draft(stray), None)

    def test_one_id_twice_is_refused(self) -> None:
        first = numbered_plan(draft(MAT), None)
        same = first.measures[0].measure_id
        other_period = PlanMeasure("MAT", date(2027, 1, 1), None, "AGENTUR", measure_id=same)
        with pytest.raises(UnknownPlanItem):
            numbered_plan(draft(PlanMeasure("MAT", measure_id=same), other_period), first)


class TestDuplicateMeasure:
    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (date(2026, 4, 30), None),  # touches the last day
            (None, date(2026, 3, 1)),  # open start, touches the first day
            (None, None),  # open on both sides
            (date(2026, 3, 15), date(2026, 3, 20)),  # inside
        ],
    )
    def test_same_type_and_bearer_overlapping(self, start: date | None, end: date | None) -> None:
        with pytest.raises(DuplicateMeasure):
            numbered_plan(draft(MAT, PlanMeasure("MAT", start, end, "AGENTUR")), None)

    @pytest.mark.parametrize(
        "other",
        [
            PlanMeasure("MAT", date(2026, 5, 1), None, "AGENTUR"),  # after it
            PlanMeasure("MAT", None, date(2026, 2, 28), "AGENTUR"),  # before it
            PlanMeasure("MAT", date(2026, 3, 1), date(2026, 4, 30), "JOBCENTER"),
            PlanMeasure("AVGS", date(2026, 3, 1), date(2026, 4, 30), "AGENTUR"),
        ],
    )
    def test_no_duplicate(self, other: PlanMeasure) -> None:
        assert len(numbered_plan(draft(MAT, other), None).measures) == 2

    def test_the_error_names_the_kept_measure_even_when_listed_second(self) -> None:
        first = numbered_plan(draft(MAT), None)
        kept_id = first.measures[0].measure_id
        kept = PlanMeasure("MAT", MAT.start_date, MAT.end_date, "AGENTUR", measure_id=kept_id)
        with pytest.raises(DuplicateMeasure) as caught:
            numbered_plan(draft(PlanMeasure("MAT", None, None, "AGENTUR"), kept), first)
        assert caught.value.existing_measure_id == kept_id
        assert str(kept_id) in caught.value.detail


class TestCaseStatus:
    @pytest.mark.parametrize(
        ("handover", "expected"),
        [
            (None, CaseStatus.ACTIVE),
            (HandoverStatus.PREPARING, CaseStatus.HANDOVER_PENDING),
            (HandoverStatus.AWAITING_DOCUMENTS, CaseStatus.HANDOVER_PENDING),
            (HandoverStatus.INELIGIBLE, CaseStatus.HANDOVER_PENDING),
            (HandoverStatus.TRANSFERRED, CaseStatus.TRANSFERRED),
            (HandoverStatus.ACCEPTED, CaseStatus.TRANSFERRED),
        ],
    )
    def test_derived_from_the_active_handover(
        self, handover: HandoverStatus | None, expected: CaseStatus
    ) -> None:
        assert case_status(handover) is expected


def test_every_document_type_and_reason_has_a_german_label() -> None:
    assert {t.value for t in DocumentType} <= set(DOCUMENT_LABELS)
    assert set(HandoverReason) <= set(REASON_LABELS)
