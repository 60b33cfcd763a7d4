"""The handover aggregate: its value objects and the state changes the lifecycle allows.

`HandoverAggregate` holds the behaviour; `adapters/tables.Handover` maps its state to the
`handovers` table. Every state change is a method that checks the transition table, stamps
the time, bumps the version and records what happened (`Change`: the audit action and, where
there is one, the event). The use case persists the handover, writes the audit entries and
announces the events of `pull_changes()` in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from handover_api.domain.documents import DocumentType, HandoverReason, missing_documents
from handover_api.domain.errors import HandoverAlreadyTransferred, TransitionNotAllowed
from handover_api.domain.lifecycle import (
    BEFORE_TRANSFER,
    CancellationReason,
    EligibilityStatus,
    EngineReason,
    HandoverStatus,
    Readiness,
    RejectionReason,
    TriggerType,
    assess,
    ensure_transition,
)
from shared.events.base import EventData
from shared.events.eligibility import KeyDatesV1, ReasonV1, WarningV1
from shared.events.handover import (
    CaseTransferredV1,
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    IntegrationPlanV1,
    ManifestDocumentV1,
)

S = HandoverStatus
PRE_TRANSFER = BEFORE_TRANSFER
AFTER_TRANSFER = frozenset({S.TRANSFERRED, S.ACCEPTED, S.COMPLETED, S.REJECTED})


@dataclass(frozen=True)
class Trigger:
    """A legal trigger and the day it occurred."""

    type: TriggerType
    occurred_on: date


@dataclass(frozen=True)
class RecordedTrigger:
    """The legal trigger as recorded on the handover."""

    type: TriggerType
    occurred_on: date
    recorded_at: datetime


@dataclass(frozen=True)
class Waiver:
    """A mandatory document the source explicitly waives, with a reason."""

    document_type: DocumentType
    reason: str


@dataclass(frozen=True)
class EligibilityRecord:
    """eligibility_api's decision for this handover, as the handover keeps it."""

    check_id: uuid.UUID
    legal_domain: str
    rules_version: str
    reasons: tuple[ReasonV1, ...]
    warnings: tuple[WarningV1, ...]
    key_dates: KeyDatesV1
    determined_at: datetime


@dataclass(frozen=True)
class Manifest:
    """What the transfer released: the documents, the integration plan and their digest."""

    documents: tuple[ManifestDocumentV1, ...]
    integration_plan: IntegrationPlanV1 | None
    sha256: str
    # Types of the special-category documents that stayed with the source.
    withheld_documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Release:
    """A signed manifest and where the receiver finds the key to verify it."""

    manifest: Manifest
    signature: str
    keys_url: str
    accept_within: timedelta


@dataclass(frozen=True)
class Change:
    """One recorded state change: the audit action, its details, and the event if any.

    `by_broker` marks changes the broker makes by itself (the transfer, the eligibility
    answer, the overdue escalation); the others are the caller's.
    """

    action: str
    details: Mapping[str, str | int]
    event: EventData | None = None
    by_broker: bool = False


@dataclass
class _Changes:
    items: list[Change] = field(default_factory=list)


class HandoverAggregate:
    """Behaviour of one handover of a case from one organisation to another."""

    if TYPE_CHECKING:
        id: uuid.UUID
        case_id: uuid.UUID
        active_case_id: uuid.UUID | None
        reason: str
        from_org: str
        to_org: str
        legal_domain_from: str
        legal_domain_to: str
        status: str
        transfer_date: date
        # The transfer date is the first day of the target's responsibility as eligibility_api
        # computes it (key date `sgb2_start_date`), not one the caller gave.
        transfer_date_from_eligibility: bool
        trigger: RecordedTrigger | None
        eligibility_status: str
        eligibility: EligibilityRecord | None
        waivers: tuple[Waiver, ...]
        manifest: Manifest | None
        manifest_signature: str | None
        transferred_at: datetime | None
        due_at: datetime | None
        overdue_at: datetime | None
        accepted_at: datetime | None
        completed_at: datetime | None
        rejected_at: datetime | None
        rejection_reason: str | None
        cancelled_at: datetime | None
        cancellation_reason: str | None
        version: int
        updated_at: datetime

    # -- reading -------------------------------------------------------------------------

    @property
    def current(self) -> HandoverStatus:
        """The status as an enum."""
        return S(self.status)

    @property
    def before_transfer(self) -> bool:
        """Whether the handover still waits for its conditions."""
        return self.current in PRE_TRANSFER

    def readiness(
        self,
        present: Iterable[DocumentType],
        unreleased: tuple[DocumentType, ...] = (),
        today: date | None = None,
    ) -> Readiness:
        """Where the handover stands given the document types its case has.

        `unreleased`: special-category documents the reason needs whose release is not
        recorded (the hook for the release record of special categories). `today`: a
        handover dated by eligibility waits for its transfer date.
        """
        eligibility = EligibilityStatus(self.eligibility_status)
        denial: tuple[EngineReason, ...] = ()
        if eligibility is EligibilityStatus.DENIED and self.eligibility is not None:
            denial = tuple(EngineReason(r.code, r.text_de) for r in self.eligibility.reasons)
        return assess(
            trigger_recorded=self.trigger is not None,
            eligibility=eligibility,
            missing=tuple(
                missing_documents(
                    HandoverReason(self.reason), present, [w.document_type for w in self.waivers]
                )
            ),
            denial_reasons=denial,
            unreleased=unreleased,
            before_transfer_date=self.waits_for_transfer_date(today),
        )

    def waits_for_transfer_date(self, today: date | None) -> bool:
        """Whether the handover, dated by eligibility, waits for its transfer date."""
        return (
            bool(self.transfer_date_from_eligibility)
            and today is not None
            and self.transfer_date > today
        )

    def pull_changes(self) -> list[Change]:
        """The changes recorded since the last call, oldest first (and forget them)."""
        changes = self._changes().items
        pulled = list(changes)
        changes.clear()
        return pulled

    # -- inputs before the transfer --------------------------------------------------------

    def record_trigger(self, trigger: Trigger, now: datetime) -> None:
        """Record the legal trigger that allows releasing the dossier."""
        self._ensure_before_transfer("takes no trigger")
        self.trigger = RecordedTrigger(trigger.type, trigger.occurred_on, now)
        self._record(now, "handover.trigger_recorded", trigger=trigger.type.value)

    def waive(self, waiver: Waiver, now: datetime) -> None:
        """Waive one mandatory document (a new waiver of the same type replaces the old)."""
        self._ensure_before_transfer("takes no waiver")
        others = tuple(w for w in self.waivers if w.document_type != waiver.document_type)
        self.waivers = (*others, waiver)
        self._record(now, "handover.document_waived", document_type=waiver.document_type.value)

    def record_eligibility(self, record: EligibilityRecord, confirmed: bool, now: datetime) -> bool:
        """Keep eligibility's answer; False (and nothing changes) once the transfer is past.

        An `ineligible` handover takes a new answer too: changed facts re-decide it.
        """
        if not self.before_transfer:
            return False
        status = EligibilityStatus.CONFIRMED if confirmed else EligibilityStatus.DENIED
        self.eligibility_status = status.value
        self.eligibility = record
        self._record(now, "handover.eligibility_recorded", by_broker=True, status=status.value)
        return True

    def take_transfer_date(self, first_day: date, now: datetime) -> bool:
        """Take eligibility's first day of the target's responsibility as the transfer date.

        True if the date changed: the decision must then be asked again for the new date
        (until it comes, eligibility counts as pending).
        """
        if not self.transfer_date_from_eligibility or not self.before_transfer:
            return False
        if first_day == self.transfer_date:
            return False
        self.transfer_date = first_day
        self.eligibility_status = EligibilityStatus.PENDING.value
        self._record(
            now, "handover.transfer_date_set", by_broker=True, transfer_date=first_day.isoformat()
        )
        return True

    def settle(self, readiness: Readiness, now: datetime) -> bool:
        """Move to the pre-transfer status or the end `readiness` says; True if it moved.

        The transfer itself needs the released dossier: see `transfer`.
        """
        target = readiness.status
        if target is self.current:
            return False
        if target is S.TRANSFERRED:
            raise TransitionNotAllowed("a transfer needs the released dossier")
        ensure_transition(self.current, target)
        redecided = self.current is S.INELIGIBLE
        self.status = target.value
        if target is S.INELIGIBLE:
            self.active_case_id = None
            self._record(now, "handover.ineligible", by_broker=True)
        elif redecided:
            self.active_case_id = self.case_id
            self._record(now, "handover.redecided", by_broker=True, status=target.value)
        else:
            self._touch(now)
        return True

    # -- the transfer and after -------------------------------------------------------------

    def transfer(self, release: Release, now: datetime) -> None:
        """Release the signed dossier to the receiver; it must accept within the deadline."""
        ensure_transition(self.current, S.TRANSFERRED)
        manifest = release.manifest
        if self.current is S.INELIGIBLE:
            # Re-decided positively with nothing else missing: active again, and transferred.
            self.active_case_id = self.case_id
            self._record(now, "handover.redecided", by_broker=True, status=S.TRANSFERRED.value)
        self.status = S.TRANSFERRED.value
        self.manifest = manifest
        self.manifest_signature = release.signature
        self.transferred_at = now
        self.due_at = now + release.accept_within
        event = CaseTransferredV1(
            case_id=self.case_id,
            handover_id=self.id,
            from_org=self.from_org,
            to_org=self.to_org,
            reason=HandoverReason(self.reason),
            legal_domain_from=self.legal_domain_from,
            legal_domain_to=self.legal_domain_to,
            transferred_at=now,
            integration_plan=manifest.integration_plan,
            documents=manifest.documents,
            manifest_signature=release.signature,
            manifest_keys_url=release.keys_url,
            responsible_from=self.transfer_date,
            withheld_documents=manifest.withheld_documents,
        )
        self._record(
            now,
            "handover.transferred",
            event,
            by_broker=True,
            to_org=self.to_org,
            documents=len(manifest.documents),
            manifest_sha256=manifest.sha256,
        )

    def accept(self, now: datetime) -> None:
        """The receiver confirms and continues the case."""
        self._move(S.ACCEPTED)
        self.accepted_at = now
        event = HandoverAcceptedV1(
            case_id=self.case_id,
            handover_id=self.id,
            from_org=self.from_org,
            to_org=self.to_org,
            accepted_at=now,
        )
        self._record(now, "handover.accepted", event)

    def complete(self, now: datetime) -> None:
        """The receiver has continued the plan; the handover ends."""
        self._move(S.COMPLETED)
        self.completed_at = now
        self.active_case_id = None
        self._record(now, "handover.completed")

    def reject(self, reason: RejectionReason, now: datetime) -> None:
        """The receiver returns the case to the source with a reason code."""
        self._move(S.REJECTED)
        self.rejected_at = now
        self.rejection_reason = reason.value
        self.active_case_id = None
        event = HandoverRejectedV1(
            case_id=self.case_id,
            handover_id=self.id,
            from_org=self.from_org,
            to_org=self.to_org,
            reason_code=reason.value,
            rejected_at=now,
        )
        self._record(now, "handover.rejected", event, reason=reason.value)

    def cancel(self, reason: CancellationReason, now: datetime) -> None:
        """The source withdraws the handover in any status before the transfer."""
        if self.current in AFTER_TRANSFER:
            raise HandoverAlreadyTransferred(
                f"the handover is {self.status}: the case was already transferred "
                f"to {self.to_org}; only the receiving organisation can return it"
            )
        self._move(S.CANCELLED)
        self.cancelled_at = now
        self.cancellation_reason = reason.value
        self.active_case_id = None
        self._record(now, "handover.cancelled", reason=reason.value)

    def mark_overdue(self, now: datetime) -> None:
        """The receiver let the acceptance deadline pass; escalated once."""
        if self.current is not S.TRANSFERRED or self.overdue_at is not None:
            raise TransitionNotAllowed(f"a handover in status {self.status} cannot be overdue")
        self.overdue_at = now
        event = HandoverOverdueV1(
            case_id=self.case_id,
            handover_id=self.id,
            from_org=self.from_org,
            to_org=self.to_org,
            due_at=self.due_at or now,
        )
        # The deadline passing changes no status: the version (and the ETag) stay.
        self._changes().items.append(
            Change("handover.overdue", {"handover_id": str(self.id)}, event, by_broker=True)
        )

    # -- helpers ---------------------------------------------------------------------------

    def _ensure_before_transfer(self, what: str) -> None:
        if not self.before_transfer:
            raise TransitionNotAllowed(f"a handover in status {self.status} {what}")

    def _move(self, target: HandoverStatus) -> None:
        ensure_transition(self.current, target)
        self.status = target.value

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def _record(
        self,
        now: datetime,
        action: str,
        event: EventData | None = None,
        *,
        by_broker: bool = False,
        **details: str | int,
    ) -> None:
        self._touch(now)
        recorded = {"handover_id": str(self.id), **details}
        self._changes().items.append(Change(action, recorded, event, by_broker))

    def _changes(self) -> _Changes:
        # Rows loaded from the database skip __init__: the list is made on first use.
        changes: _Changes | None = self.__dict__.get("_pending_changes")
        if changes is None:
            changes = _Changes()
            self.__dict__["_pending_changes"] = changes
        return changes
