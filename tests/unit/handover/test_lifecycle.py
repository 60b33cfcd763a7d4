"""The handover lifecycle: transition table, readiness rules, document requirements."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handover_api.domain.documents import (
    REQUIRED_DOCUMENTS,
    SPECIAL_CATEGORY,
    DocumentType,
    HandoverReason,
    missing_documents,
    travels_with,
)
from handover_api.domain.errors import TransitionNotAllowed
from handover_api.domain.lifecycle import (
    ACTIVE,
    TRANSITIONS,
    EligibilityStatus,
    HandoverStatus,
    assess,
    ensure_transition,
)

S = HandoverStatus
E = EligibilityStatus
D = DocumentType


class TestTransitionTable:
    """Allowed steps as architecture.md §5 draws them."""

    @pytest.mark.parametrize(
        ("current", "target"),
        [
            (S.PREPARING, S.AWAITING_DOCUMENTS),
            (S.PREPARING, S.TRANSFERRED),
            (S.PREPARING, S.INELIGIBLE),
            (S.PREPARING, S.CANCELLED),
            (S.AWAITING_DOCUMENTS, S.TRANSFERRED),
            (S.AWAITING_DOCUMENTS, S.CANCELLED),
            (S.TRANSFERRED, S.ACCEPTED),
            (S.TRANSFERRED, S.REJECTED),
            (S.ACCEPTED, S.COMPLETED),
        ],
    )
    def test_allowed(self, current: HandoverStatus, target: HandoverStatus) -> None:
        ensure_transition(current, target)

    @pytest.mark.parametrize(
        ("current", "target"),
        [
            (S.TRANSFERRED, S.CANCELLED),
            (S.TRANSFERRED, S.PREPARING),
            (S.ACCEPTED, S.REJECTED),
            (S.COMPLETED, S.ACCEPTED),
            (S.REJECTED, S.TRANSFERRED),
            (S.CANCELLED, S.PREPARING),
            (S.PREPARING, S.ACCEPTED),
        ],
    )
    def test_refused(self, current: HandoverStatus, target: HandoverStatus) -> None:
        with pytest.raises(TransitionNotAllowed):
            ensure_transition(current, target)

    def test_terminal_statuses_are_inactive_and_final(self) -> None:
        for status in S:
            if status not in ACTIVE:
                assert TRANSITIONS[status] == frozenset()

    def test_fhir_mapping(self) -> None:
        assert S.AWAITING_DOCUMENTS.fhir_status == "on-hold"
        assert S.TRANSFERRED.fhir_status == "requested"
        assert S.PREPARING.fhir_status == "draft"


class TestReadiness:
    """The transfer happens exactly when every condition holds."""

    def test_all_conditions_transfer(self) -> None:
        result = assess(trigger_recorded=True, eligibility=E.CONFIRMED, missing=())
        assert result.status is S.TRANSFERRED
        assert result.blocking == ()

    def test_denial_wins_over_everything(self) -> None:
        result = assess(trigger_recorded=False, eligibility=E.DENIED, missing=(D.CV_CERTIFICATES,))
        assert result.status is S.INELIGIBLE

    def test_without_trigger_stays_preparing(self) -> None:
        result = assess(trigger_recorded=False, eligibility=E.CONFIRMED, missing=())
        assert (result.status, result.blocking) == (S.PREPARING, ("legal_trigger_missing",))

    def test_missing_documents_hold(self) -> None:
        result = assess(trigger_recorded=True, eligibility=E.PENDING, missing=(D.CV_CERTIFICATES,))
        assert result.status is S.AWAITING_DOCUMENTS
        assert result.blocking == ("documents_missing", "eligibility_pending")

    @given(
        trigger=st.booleans(),
        eligibility=st.sampled_from(list(E)),
        missing=st.lists(st.sampled_from(list(D)), max_size=4, unique=True),
    )
    def test_transfer_iff_every_condition_holds(
        self, trigger: bool, eligibility: EligibilityStatus, missing: list[DocumentType]
    ) -> None:
        result = assess(trigger_recorded=trigger, eligibility=eligibility, missing=tuple(missing))
        ready = trigger and eligibility is E.CONFIRMED and not missing
        assert (result.status is S.TRANSFERRED) == ready
        assert result.status in TRANSITIONS[S.PREPARING] | {S.PREPARING}


class TestRequiredDocuments:
    """Manifests per reason (domain.md §2.4, column M)."""

    def test_alg1_exhausted_needs_the_agreement_items(self) -> None:
        required = REQUIRED_DOCUMENTS[HandoverReason.ALG1_EXHAUSTED]
        assert D.ALG1_APPROVAL in required
        assert D.INFO_SESSION_ATTENDANCE in required
        assert D.BAMF_DECISION not in required

    def test_refugee_needs_bamf_tenor_and_asylblg_notice(self) -> None:
        required = REQUIRED_DOCUMENTS[HandoverReason.ASYLUM_RECOGNISED]
        assert {D.BAMF_DECISION, D.ASYLBLG_DISCONTINUATION, D.INTEGRATION_COURSE} <= required
        assert D.ALG1_APPROVAL not in required

    def test_every_reason_needs_identity(self) -> None:
        for reason in HandoverReason:
            assert D.IDENTITY_MASTER_DATA in REQUIRED_DOCUMENTS[reason]

    def test_missing_respects_present_and_waived(self) -> None:
        reason = HandoverReason.U25_JOINT
        all_but_two = sorted(REQUIRED_DOCUMENTS[reason])[2:]
        missing = missing_documents(reason, all_but_two)
        assert len(missing) == 2
        assert missing_documents(reason, all_but_two, waived=missing) == []

    def test_special_categories_travel_only_where_mandatory(self) -> None:
        for doc in SPECIAL_CATEGORY:
            assert not travels_with(HandoverReason.ALG1_EXHAUSTED, doc)
        assert travels_with(HandoverReason.TO_SGB12, D.MEDICAL_PSYCHOLOGICAL_REPORT)
        assert travels_with(HandoverReason.ALG1_EXHAUSTED, D.CV_CERTIFICATES)
