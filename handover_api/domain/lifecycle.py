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

# Statuses before the transfer: the handover still waits for its conditions (and may be
# cancelled). `ineligible` is one of them: a change of the facts re-decides it.
BEFORE_TRANSFER: frozenset[HandoverStatus] = frozenset(
    {S.PREPARING, S.AWAITING_DOCUMENTS, S.INELIGIBLE}
)

TRANSITIONS: dict[HandoverStatus, frozenset[HandoverStatus]] = {
    S.PREPARING: frozenset({S.AWAITING_DOCUMENTS, S.TRANSFERRED, S.INELIGIBLE, S.CANCELLED}),
    S.AWAITING_DOCUMENTS: frozenset({S.PREPARING, S.TRANSFERRED, S.INELIGIBLE, S.CANCELLED}),
    S.TRANSFERRED: frozenset({S.ACCEPTED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    # A new positive answer after changed facts: back to what the other conditions give.
    S.INELIGIBLE: frozenset({S.PREPARING, S.AWAITING_DOCUMENTS, S.TRANSFERRED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}


def ensure_transition(current: HandoverStatus, target: HandoverStatus) -> None:
    """Raise unless the table allows current → target."""
    if target not in TRANSITIONS[current]:
        raise TransitionNotAllowed(f"a handover in status {current} cannot become {target}")


class BlockingCode(StrEnum):
    """Stable codes of what keeps a handover from its transfer."""

    ELIGIBILITY_PENDING = "eligibility-pending"
    NOT_ELIGIBLE = "not-eligible"
    TRIGGER_MISSING = "trigger-missing"
    DOCUMENTS_MISSING = "documents-missing"
    SPECIAL_DOCUMENT_NOT_RELEASED = "special-document-not-released"
    TRANSFER_DATE_NOT_REACHED = "transfer-date-not-reached"


_TEXT_DE: dict[BlockingCode, str] = {
    BlockingCode.ELIGIBILITY_PENDING: "Die Prüfung der Zuständigkeit steht noch aus.",
    BlockingCode.NOT_ELIGIBLE: "Die Zielorganisation ist nach der Zuständigkeitsprüfung nicht "
    "zuständig.",
    BlockingCode.TRIGGER_MISSING: "Der rechtliche Auslöser (z. B. Antrag auf Bürgergeld, "
    "zugestellter Asylbescheid, Ende des Arbeitslosengeldes) ist nicht erfasst.",
    BlockingCode.DOCUMENTS_MISSING: "Es fehlen Pflichtunterlagen",
    BlockingCode.SPECIAL_DOCUMENT_NOT_RELEASED: "Unterlagen besonderer Kategorien "
    "(Art. 9 DSGVO, § 76 SGB X) sind nicht freigegeben",
    BlockingCode.TRANSFER_DATE_NOT_REACHED: "Die Zuständigkeit der Zielorganisation beginnt "
    "erst am Übergabedatum; an diesem Tag wird der Fall von selbst übergeben.",
}


@dataclass(frozen=True)
class EngineReason:
    """A reason code and its German text from eligibility_api's answer."""

    code: str
    text_de: str


@dataclass(frozen=True)
class Blocker:
    """One cause that keeps a handover from its transfer, with a German text."""

    code: BlockingCode
    text_de: str
    document_types: tuple[DocumentType, ...] = ()
    reasons: tuple[EngineReason, ...] = ()


def blocker(
    code: BlockingCode,
    *,
    document_types: tuple[DocumentType, ...] = (),
    reasons: tuple[EngineReason, ...] = (),
) -> Blocker:
    """The cause `code` with its German text (naming the document types where there are)."""
    text = _TEXT_DE[code]
    if document_types:
        text = f"{text}: {', '.join(t.value for t in document_types)}."
    elif not text.endswith("."):
        text = f"{text}."
    if reasons:
        text = f"{text} Gründe: {' '.join(r.text_de for r in reasons)}"
    return Blocker(code, text, document_types, reasons)


def describe(blockers: tuple[Blocker, ...]) -> str:
    """The causes in one German sentence list, codes in brackets (for problem details)."""
    return " ".join(f"[{b.code.value}] {b.text_de}" for b in blockers)


@dataclass(frozen=True)
class Readiness:
    """Where a pre-transfer handover stands, and what still blocks the transfer."""

    status: HandoverStatus
    missing_documents: tuple[DocumentType, ...]
    blockers: tuple[Blocker, ...] = ()

    @property
    def blocking(self) -> tuple[str, ...]:
        """The stable codes of the blockers."""
        return tuple(b.code.value for b in self.blockers)


def assess(
    *,
    trigger_recorded: bool,
    eligibility: EligibilityStatus,
    missing: tuple[DocumentType, ...],
    denial_reasons: tuple[EngineReason, ...] = (),
    unreleased: tuple[DocumentType, ...] = (),
    before_transfer_date: bool = False,
) -> Readiness:
    """The status a pre-transfer handover should have now, and every cause that blocks it.

    The transfer happens by itself the moment the last condition holds: legal trigger
    recorded, eligibility confirmed, every mandatory document present or waived. A denial
    makes the handover `ineligible`; the other causes are listed all the same, so whoever
    fixes the facts sees what else is left. `unreleased`: special-category documents the
    reason needs that have no release yet. `before_transfer_date`: the transfer date is the
    first day of the target's responsibility (as eligibility_api computed it) and has not
    come yet; the handover waits for it.
    """
    blockers: list[Blocker] = []
    if eligibility is EligibilityStatus.PENDING:
        blockers.append(blocker(BlockingCode.ELIGIBILITY_PENDING))
    if eligibility is EligibilityStatus.DENIED:
        blockers.append(blocker(BlockingCode.NOT_ELIGIBLE, reasons=denial_reasons))
    if not trigger_recorded:
        blockers.append(blocker(BlockingCode.TRIGGER_MISSING))
    if missing:
        blockers.append(blocker(BlockingCode.DOCUMENTS_MISSING, document_types=missing))
    if unreleased:
        blockers.append(
            blocker(BlockingCode.SPECIAL_DOCUMENT_NOT_RELEASED, document_types=unreleased)
        )
    if before_transfer_date:
        blockers.append(blocker(BlockingCode.TRANSFER_DATE_NOT_REACHED))
    if eligibility is EligibilityStatus.DENIED:
        return Readiness(S.INELIGIBLE, missing, tuple(blockers))
    if not blockers:
        return Readiness(S.TRANSFERRED, (), ())
    status = S.PREPARING if not trigger_recorded else S.AWAITING_DOCUMENTS
    return Readiness(status, missing, tuple(blockers))
