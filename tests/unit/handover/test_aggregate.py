"""The handover aggregate: each state change checks the lifecycle, stamps and records."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from handover_api.adapters.tables import Handover
from handover_api.domain.documents import REQUIRED_DOCUMENTS, DocumentType, HandoverReason
from handover_api.domain.errors import HandoverAlreadyTransferred, TransitionNotAllowed
from handover_api.domain.handover import (
    EligibilityRecord,
    Manifest,
    RecordedTrigger,
    Release,
    Trigger,
    Waiver,
)
from handover_api.domain.lifecycle import (
    CancellationReason,
    EligibilityStatus,
    HandoverStatus,
    RejectionReason,
    TriggerType,
)
from shared.events.eligibility import KeyDatesV1, ReasonV1
from shared.events.handover import (
    CaseTransferredV1,
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    ManifestDocumentV1,
)

S = HandoverStatus
T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
REASON = HandoverReason.ALG1_EXHAUSTED
ALL_REQUIRED = REQUIRED_DOCUMENTS[REASON]


def handover(status: HandoverStatus = S.PREPARING) -> Handover:
    case_id = uuid.uuid4()
    return Handover(
        id=uuid.uuid4(),
        case_id=case_id,
        active_case_id=case_id,
        reason=REASON.value,
        from_org="agentur-hagen",
        to_org="jobcenter-en",
        legal_domain_from="SGB_III",
        legal_domain_to="SGB_II",
        status=status.value,
        transfer_date=date(2026, 4, 1),
        trigger=None,
        eligibility_status=EligibilityStatus.PENDING.value,
        eligibility=None,
        waivers=(),
        version=1,
        created_at=T0,
        updated_at=T0,
    )


def decision(legal_domain: str = "SGB_II") -> EligibilityRecord:
    return EligibilityRecord(
        check_id=uuid.uuid4(),
        legal_domain=legal_domain,
        rules_version="test",
        reasons=(ReasonV1(code="ALG1_EXHAUSTED", text_de="ALG I endet", legal_ref="§ 147"),),
        warnings=(),
        key_dates=KeyDatesV1(alg1_end_date=date(2026, 3, 31)),
        determined_at=T0,
    )


def release(documents: int = 2) -> Release:
    docs = tuple(
        ManifestDocumentV1(
            document_id=uuid.uuid4(),
            type="ALG1_APPROVAL",
            sha256="ab" * 32,
            size=10,
            media_type="application/pdf",
            url="https://broker.example/v1/documents/x/content",
        )
        for _ in range(documents)
    )
    return Release(
        manifest=Manifest(documents=docs, integration_plan=None, sha256="cd" * 32),
        signature="jws",
        keys_url="https://broker.example/v1/manifest-keys",
        accept_within=timedelta(days=14),
    )


def ready(h: Handover) -> Handover:
    """Trigger recorded and eligibility confirmed; with all documents it may transfer."""
    h.record_trigger(Trigger(TriggerType.ALG1_ENDED, date(2026, 3, 31)), T0)
    h.record_eligibility(decision(), confirmed=True, now=T0)
    h.pull_changes()
    return h


def transferred() -> Handover:
    h = ready(handover())
    h.transfer(release(), T0)
    h.pull_changes()
    return h


class TestBeforeTheTransfer:
    def test_a_trigger_is_recorded_with_its_time_and_audited(self) -> None:
        h = handover()
        h.record_trigger(Trigger(TriggerType.ALG1_ENDED, date(2026, 3, 31)), T0)
        assert h.trigger == RecordedTrigger(TriggerType.ALG1_ENDED, date(2026, 3, 31), T0)
        assert h.version == 2
        [change] = h.pull_changes()
        assert change.action == "handover.trigger_recorded"
        assert change.details == {"handover_id": str(h.id), "trigger": "ALG1_ENDED"}
        assert change.event is None
        assert not change.by_broker

    def test_a_new_waiver_of_the_same_type_replaces_the_old(self) -> None:
        h = handover()
        h.waive(Waiver(DocumentType.INFO_SESSION_ATTENDANCE, "did not attend"), T0)
        h.waive(Waiver(DocumentType.CV_CERTIFICATES, "none written"), T0)
        h.waive(Waiver(DocumentType.INFO_SESSION_ATTENDANCE, "session cancelled"), T0)
        assert h.waivers == (
            Waiver(DocumentType.CV_CERTIFICATES, "none written"),
            Waiver(DocumentType.INFO_SESSION_ATTENDANCE, "session cancelled"),
        )
        assert [c.action for c in h.pull_changes()] == ["handover.document_waived"] * 3

    def test_waived_documents_no_longer_block(self) -> None:
        h = ready(handover())
        missing = sorted(ALL_REQUIRED)
        before = h.readiness(missing[1:])
        assert before.missing_documents == (missing[0],)
        h.waive(Waiver(missing[0], "not available"), T0)
        assert h.readiness(missing[1:]).status is S.TRANSFERRED

    @pytest.mark.parametrize("status", [S.TRANSFERRED, S.ACCEPTED, S.CANCELLED])
    def test_inputs_after_the_transfer_or_the_end_are_refused(self, status: S) -> None:
        h = handover(status)
        with pytest.raises(TransitionNotAllowed):
            h.record_trigger(Trigger(TriggerType.ALG1_ENDED, date(2026, 3, 31)), T0)
        with pytest.raises(TransitionNotAllowed):
            h.waive(Waiver(DocumentType.CV_CERTIFICATES, "none"), T0)
        assert h.version == 1
        assert h.pull_changes() == []

    def test_a_late_eligibility_answer_changes_nothing(self) -> None:
        h = handover(S.TRANSFERRED)
        assert not h.record_eligibility(decision(), confirmed=False, now=T0)
        assert h.eligibility is None
        assert h.eligibility_status == EligibilityStatus.PENDING.value
        assert h.pull_changes() == []

    def test_a_denial_ends_the_handover_as_ineligible_and_frees_the_case(self) -> None:
        h = handover()
        assert h.record_eligibility(decision("SGB_III"), confirmed=False, now=T0)
        readiness = h.readiness(ALL_REQUIRED)
        assert readiness.status is S.INELIGIBLE
        assert h.settle(readiness, T0)
        assert h.status == S.INELIGIBLE.value
        assert h.active_case_id is None
        changes = h.pull_changes()
        assert [c.action for c in changes] == [
            "handover.eligibility_recorded",
            "handover.ineligible",
        ]
        assert all(c.by_broker for c in changes)
        assert changes[0].details["status"] == "denied"

    def test_a_positive_answer_after_the_denial_re_decides_and_reactivates(self) -> None:
        h = handover()
        h.record_eligibility(decision("SGB_III"), confirmed=False, now=T0)
        h.settle(h.readiness(ALL_REQUIRED), T0)
        h.pull_changes()
        # An ineligible handover still takes inputs while the facts are being fixed.
        h.record_trigger(Trigger(TriggerType.SGB2_APPLICATION_FILED, date(2026, 4, 2)), T0)
        assert h.readiness(()).status is S.INELIGIBLE
        assert h.record_eligibility(decision(), confirmed=True, now=T0)
        readiness = h.readiness(())
        assert readiness.status is S.AWAITING_DOCUMENTS
        assert h.settle(readiness, T0)
        assert h.status == S.AWAITING_DOCUMENTS.value
        assert h.active_case_id == h.case_id
        assert [c.action for c in h.pull_changes()] == [
            "handover.trigger_recorded",
            "handover.eligibility_recorded",
            "handover.redecided",
        ]

    def test_an_ineligible_handover_names_the_engines_reasons(self) -> None:
        h = handover()
        h.record_eligibility(decision("SGB_III"), confirmed=False, now=T0)
        readiness = h.readiness(ALL_REQUIRED)
        assert readiness.blocking == ("not-eligible", "trigger-missing")
        assert readiness.blockers[0].reasons
        assert readiness.blockers[0].reasons[0].code == decision("SGB_III").reasons[0].code

    def test_settling_in_the_same_status_records_nothing(self) -> None:
        h = handover()
        assert not h.settle(h.readiness(()), T0)
        assert h.version == 1
        assert h.pull_changes() == []

    def test_the_transfer_cannot_be_settled_without_the_dossier(self) -> None:
        h = ready(handover())
        with pytest.raises(TransitionNotAllowed):
            h.settle(h.readiness(ALL_REQUIRED), T0)
        assert h.status == S.PREPARING.value


class TestTheTransfer:
    def test_the_transfer_keeps_the_manifest_and_announces_it(self) -> None:
        h = ready(handover())
        given = release(documents=3)
        h.transfer(given, T0)
        assert h.status == S.TRANSFERRED.value
        assert h.manifest == given.manifest
        assert h.manifest_signature == "jws"
        assert h.transferred_at == T0
        assert h.due_at == T0 + timedelta(days=14)
        [change] = h.pull_changes()
        assert change.action == "handover.transferred"
        assert change.by_broker
        assert change.details["documents"] == 3
        assert change.details["manifest_sha256"] == "cd" * 32
        assert isinstance(change.event, CaseTransferredV1)
        assert change.event.documents == given.manifest.documents
        assert change.event.responsible_from == date(2026, 4, 1)

    def test_a_cancelled_handover_cannot_transfer(self) -> None:
        h = handover(S.CANCELLED)
        with pytest.raises(TransitionNotAllowed):
            h.transfer(release(), T0)
        assert h.manifest is None


class TestAfterTheTransfer:
    def test_accept_then_complete(self) -> None:
        h = transferred()
        h.accept(T0 + timedelta(days=1))
        assert h.accepted_at == T0 + timedelta(days=1)
        [accepted] = h.pull_changes()
        assert isinstance(accepted.event, HandoverAcceptedV1)
        h.complete(T0 + timedelta(days=30))
        assert h.status == S.COMPLETED.value
        assert h.active_case_id is None
        [completed] = h.pull_changes()
        assert completed.action == "handover.completed"
        assert completed.event is None

    def test_reject_returns_the_reason_in_the_event(self) -> None:
        h = transferred()
        h.reject(RejectionReason.WRONG_LOCAL_JOBCENTER, T0)
        assert h.rejection_reason == "WRONG_LOCAL_JOBCENTER"
        assert h.active_case_id is None
        [change] = h.pull_changes()
        assert isinstance(change.event, HandoverRejectedV1)
        assert change.event.reason_code == "WRONG_LOCAL_JOBCENTER"
        assert change.details["reason"] == "WRONG_LOCAL_JOBCENTER"

    def test_cancel_is_only_possible_before_the_transfer(self) -> None:
        h = transferred()
        with pytest.raises(HandoverAlreadyTransferred):
            h.cancel(CancellationReason.JOB_FOUND, T0)
        for status in (S.PREPARING, S.AWAITING_DOCUMENTS, S.INELIGIBLE):
            before = handover(status)
            before.cancel(CancellationReason.JOB_FOUND, T0)
            assert before.status == S.CANCELLED.value
            assert before.cancellation_reason == "JOB_FOUND"
            assert before.active_case_id is None
        with pytest.raises(TransitionNotAllowed):
            handover(S.CANCELLED).cancel(CancellationReason.JOB_FOUND, T0)

    def test_complete_needs_accept_first(self) -> None:
        h = transferred()
        with pytest.raises(TransitionNotAllowed):
            h.complete(T0)
        assert h.completed_at is None

    def test_overdue_is_escalated_once_and_keeps_the_version(self) -> None:
        h = transferred()
        version = h.version
        h.mark_overdue(T0 + timedelta(days=15))
        assert h.version == version
        [change] = h.pull_changes()
        assert isinstance(change.event, HandoverOverdueV1)
        assert change.event.due_at == T0 + timedelta(days=14)
        with pytest.raises(TransitionNotAllowed):
            h.mark_overdue(T0 + timedelta(days=16))


def test_value_objects_round_trip_through_their_stored_json() -> None:
    """What the typed JSON columns store reads back as the same value objects."""
    h = transferred()
    h_record = decision()
    for value_type, value in [
        (EligibilityRecord, h_record),
        (Manifest, h.manifest),
        (tuple[Waiver, ...], (Waiver(DocumentType.CV_CERTIFICATES, "none written"),)),
        (RecordedTrigger, RecordedTrigger(TriggerType.ALG1_ENDED, date(2026, 3, 31), T0)),
    ]:
        adapter: TypeAdapter[object] = TypeAdapter(value_type)
        stored = adapter.dump_json(value)
        assert adapter.validate_json(stored) == value
