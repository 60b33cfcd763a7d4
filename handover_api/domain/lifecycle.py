"""The handover lifecycle (architecture.md §5) as an explicit transition table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handover_api.domain.documents import DocumentType
from handover_api.domain.errors import TransitionNotAllowed


class HandoverStatus(StrEnum):
    """Status values; FHIR TaskStatus in `fhir_status`."""

    PREPARING = "preparing"
    AWAITING_DOCUMENTS = "awaiting_documents"
    TRANSFERRED = "transferred"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    REJECTED = "rejected"
    INELIGIBLE = "ineligible"
    CANCELLED = "cancelled"

    @property
    def fhir_status(self) -> str:
        """The FHIR TaskStatus integrators know."""
        return _FHIR[self]


class EligibilityStatus(StrEnum):
    """What eligibility_api said about the target's responsibility."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DENIED = "denied"


class TriggerType(StrEnum):
    """Legal triggers that allow releasing the dossier (domain.md §0.4)."""

    SGB2_APPLICATION_FILED = "SGB2_APPLICATION_FILED"
    ALG1_ENDED = "ALG1_ENDED"
    ASYLUM_DECISION_SERVED = "ASYLUM_DECISION_SERVED"
    CONSENT_RECORDED = "CONSENT_RECORDED"
    SGB12_APPLICATION_FILED = "SGB12_APPLICATION_FILED"
    NEW_ALG1_CLAIM = "NEW_ALG1_CLAIM"


class RejectionReason(StrEnum):
    """Codes with which the receiver returns a case."""

    NOT_HILFEBEDUERFTIG = "NOT_HILFEBEDUERFTIG"
    NOT_ERWERBSFAEHIG = "NOT_ERWERBSFAEHIG"
    EXCLUDED_7_1_2 = "EXCLUDED_7_1_2"
    WRONG_LOCAL_JOBCENTER = "WRONG_LOCAL_JOBCENTER"
    DUPLICATE = "DUPLICATE"
    INCOMPLETE_DOSSIER = "INCOMPLETE_DOSSIER"


class CancellationReason(StrEnum):
    """Why the source withdrew the handover."""

    JOB_FOUND = "JOB_FOUND"
    NEW_ALG1_CLAIM = "NEW_ALG1_CLAIM"
    MOVED_AWAY = "MOVED_AWAY"
    ENTERED_IN_ERROR = "ENTERED_IN_ERROR"
    OTHER = "OTHER"


S = HandoverStatus

_FHIR: dict[HandoverStatus, str] = {
    S.PREPARING: "draft",
    S.AWAITING_DOCUMENTS: "on-hold",
    S.TRANSFERRED: "requested",
    S.ACCEPTED: "accepted",
    S.COMPLETED: "completed",
    S.REJECTED: "rejected",
    S.INELIGIBLE: "rejected",
    S.CANCELLED: "cancelled",
}

ACTIVE: frozenset[HandoverStatus] = frozenset(
    {S.PREPARING, S.AWAITING_DOCUMENTS, S.TRANSFERRED, S.ACCEPTED}
)

TRANSITIONS: dict[HandoverStatus, frozenset[HandoverStatus]] = {
    S.PREPARING: frozenset({S.AWAITING_DOCUMENTS, S.TRANSFERRED, S.INELIGIBLE, S.CANCELLED}),
    S.AWAITING_DOCUMENTS: frozenset({S.PREPARING, S.TRANSFERRED, S.INELIGIBLE, S.CANCELLED}),
    S.TRANSFERRED: frozenset({S.ACCEPTED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.INELIGIBLE: frozenset(),
    S.CANCELLED: frozenset(),
}


def ensure_transition(current: HandoverStatus, target: HandoverStatus) -> None:
    """Raise unless the table allows current → target."""
    if target not in TRANSITIONS[current]:
        raise TransitionNotAllowed(f"a handover in status {current} cannot become {target}")


@dataclass(frozen=True)
class Readiness:
    """Where a pre-transfer handover stands, and what still blocks the transfer."""

    status: HandoverStatus
    missing_documents: tuple[DocumentType, ...]
    blocking: tuple[str, ...]


def assess(
    *,
    trigger_recorded: bool,
    eligibility: EligibilityStatus,
    missing: tuple[DocumentType, ...],
) -> Readiness:
    """The status a pre-transfer handover should have now.

    The transfer happens by itself the moment the last condition holds: legal trigger
    recorded, eligibility confirmed, every mandatory document present or waived.
    """
    if eligibility is EligibilityStatus.DENIED:
        return Readiness(S.INELIGIBLE, missing, ("eligibility_denied",))
    blocking: list[str] = []
    if not trigger_recorded:
        blocking.append("legal_trigger_missing")
    if missing:
        blocking.append("documents_missing")
    if eligibility is EligibilityStatus.PENDING:
        blocking.append("eligibility_pending")
    if not blocking:
        return Readiness(S.TRANSFERRED, (), ())
    status = S.PREPARING if not trigger_recorded else S.AWAITING_DOCUMENTS
    return Readiness(status, missing, tuple(blocking))
