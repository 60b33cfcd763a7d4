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
    releasable,
    unreleased_required,
)
from handover_api.domain.errors import TransitionNotAllowed
from handover_api.domain.lifecycle import (
    ACTIVE,
    TRANSITIONS,
    BlockingCode,
    EligibilityStatus,
    EngineReason,
    HandoverStatus,
    assess,
    blocker,
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
            (S.INELIGIBLE, S.PREPARING),
            (S.INELIGIBLE, S.AWAITING_DOCUMENTS),
            (S.INELIGIBLE, S.TRANSFERRED),
            (S.INELIGIBLE, S.CANCELLED),
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
            (S.INELIGIBLE, S.ACCEPTED),
            (S.INELIGIBLE, S.REJECTED),
        ],
    )
    def test_refused(self, current: HandoverStatus, target: HandoverStatus) -> None:
        with pytest.raises(TransitionNotAllowed):
            ensure_transition(current, target)

    def test_terminal_statuses_are_inactive_and_final(self) -> None:
        # `ineligible` is inactive but not final: changed facts re-decide it.
        for status in S:
            if status not in ACTIVE and status is not S.INELIGIBLE:
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

    def test_a_denial_names_the_engines_reasons_and_every_other_cause(self) -> None:
        reason = EngineReason("ASYLBLG_RECIPIENT", "Leistungen nach dem AsylbLG.")
        result = assess(
            trigger_recorded=False,
            eligibility=E.DENIED,
            missing=(D.CV_CERTIFICATES,),
            denial_reasons=(reason,),
        )
        assert result.blocking == ("not-eligible", "trigger-missing", "documents-missing")
        not_eligible, trigger, documents = result.blockers
        assert not_eligible.reasons == (reason,)
        assert "Leistungen nach dem AsylbLG." in not_eligible.text_de
        assert trigger.text_de.startswith("Der rechtliche Auslöser")
        assert documents.document_types == (D.CV_CERTIFICATES,)
        assert documents.text_de == "Es fehlen Pflichtunterlagen: CV_CERTIFICATES."

    def test_unreleased_special_documents_block(self) -> None:
        result = assess(
            trigger_recorded=True,
            eligibility=E.CONFIRMED,
            missing=(),
            unreleased=(D.MEDICAL_PSYCHOLOGICAL_REPORT,),
        )
        assert result.status is S.AWAITING_DOCUMENTS
        assert result.blocking == ("special-document-not-released",)
        assert "MEDICAL_PSYCHOLOGICAL_REPORT" in result.blockers[0].text_de

    def test_every_cause_has_a_german_text(self) -> None:
        for code in BlockingCode:
            assert blocker(code).text_de.endswith(".")

    def test_without_trigger_stays_preparing(self) -> None:
        result = assess(trigger_recorded=False, eligibility=E.CONFIRMED, missing=())
        assert (result.status, result.blocking) == (S.PREPARING, ("trigger-missing",))

    def test_missing_documents_hold(self) -> None:
        result = assess(trigger_recorded=True, eligibility=E.PENDING, missing=(D.CV_CERTIFICATES,))
        assert result.status is S.AWAITING_DOCUMENTS
        assert result.blocking == ("eligibility-pending", "documents-missing")

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

    def test_special_categories_travel_only_once_released(self) -> None:
        assert D.SEVERE_DISABILITY_PROOF in SPECIAL_CATEGORY
        assert not releasable(special=True, released=False)
        assert releasable(special=True, released=True)
        assert releasable(special=False, released=False)

    def test_a_mandatory_special_document_blocks_until_released_or_waived(self) -> None:
        reason = HandoverReason.TO_SGB12
        present = [D.IDENTITY_MASTER_DATA, D.MEDICAL_PSYCHOLOGICAL_REPORT]
        report = D.MEDICAL_PSYCHOLOGICAL_REPORT
        assert unreleased_required(reason, present, [D.IDENTITY_MASTER_DATA]) == (report,)
        assert unreleased_required(reason, present, present) == ()
        assert (
            unreleased_required(reason, present, [], waived=[report, D.IDENTITY_MASTER_DATA]) == ()
        )
