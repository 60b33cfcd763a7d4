"""Document types and what each handover reason requires (domain.md §2.4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DocumentType(StrEnum):
    """Items of a handover dossier."""

    IDENTITY_MASTER_DATA = "IDENTITY_MASTER_DATA"
    ALG1_APPROVAL = "ALG1_APPROVAL"
    SPERRZEIT_RUHEN_DECISION = "SPERRZEIT_RUHEN_DECISION"
    POTENZIALANALYSE = "POTENZIALANALYSE"
    INTEGRATION_AGREEMENT = "INTEGRATION_AGREEMENT"
    FOERDERPLAN = "FOERDERPLAN"
    APPLICANT_PROFILE = "APPLICANT_PROFILE"
    CV_CERTIFICATES = "CV_CERTIFICATES"
    JOB_OFFERS_OWN_EFFORTS = "JOB_OFFERS_OWN_EFFORTS"
    APPOINTMENT_HISTORY = "APPOINTMENT_HISTORY"
    BAMF_DECISION = "BAMF_DECISION"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    ASYLBLG_DISCONTINUATION = "ASYLBLG_DISCONTINUATION"
    INTEGRATION_COURSE = "INTEGRATION_COURSE"
    FOREIGN_QUALIFICATION_RECOGNITION = "FOREIGN_QUALIFICATION_RECOGNITION"
    MEDICAL_PSYCHOLOGICAL_REPORT = "MEDICAL_PSYCHOLOGICAL_REPORT"
    SEVERE_DISABILITY_PROOF = "SEVERE_DISABILITY_PROOF"
    YOUTH_WELFARE_INFO = "YOUTH_WELFARE_INFO"
    INFO_SESSION_ATTENDANCE = "INFO_SESSION_ATTENDANCE"
    OTHER = "OTHER"


class HandoverReason(StrEnum):
    """Why a case moves (domain.md §4.2 HandoverInitiated.reason)."""

    ALG1_EXHAUSTED = "ALG1_EXHAUSTED"
    AUFSTOCKER_END = "AUFSTOCKER_END"
    ASYLUM_RECOGNISED = "ASYLUM_RECOGNISED"
    U25_JOINT = "U25_JOINT"
    RETURN_TO_SGB3 = "RETURN_TO_SGB3"
    TO_SGB12 = "TO_SGB12"
    UKRAINE_LRAG = "UKRAINE_LRAG"


# Types that carry health, disability or youth-welfare data (Art. 9 GDPR, § 76 SGB X,
# §§ 64, 65 SGB VIII): such a document stays with the source until its release is recorded.
SPECIAL_CATEGORY: frozenset[DocumentType] = frozenset(
    {
        DocumentType.MEDICAL_PSYCHOLOGICAL_REPORT,
        DocumentType.SEVERE_DISABILITY_PROOF,
        DocumentType.YOUTH_WELFARE_INFO,
    }
)

_D = DocumentType
_CORE = frozenset(
    {
        _D.IDENTITY_MASTER_DATA,
        _D.POTENZIALANALYSE,
        _D.INTEGRATION_AGREEMENT,
        _D.FOERDERPLAN,
        _D.APPLICANT_PROFILE,
        _D.CV_CERTIFICATES,
    }
)

# The "M" column of domain.md §2.4 per reason.
REQUIRED_DOCUMENTS: dict[HandoverReason, frozenset[DocumentType]] = {
    HandoverReason.ALG1_EXHAUSTED: _CORE
    | {
        _D.ALG1_APPROVAL,
        _D.JOB_OFFERS_OWN_EFFORTS,
        _D.APPOINTMENT_HISTORY,
        _D.INFO_SESSION_ATTENDANCE,
    },
    HandoverReason.AUFSTOCKER_END: _CORE
    | {_D.ALG1_APPROVAL, _D.JOB_OFFERS_OWN_EFFORTS, _D.APPOINTMENT_HISTORY},
    HandoverReason.ASYLUM_RECOGNISED: _CORE
    | {
        _D.BAMF_DECISION,
        _D.RESIDENCE_PERMIT,
        _D.ASYLBLG_DISCONTINUATION,
        _D.INTEGRATION_COURSE,
        _D.FOREIGN_QUALIFICATION_RECOGNITION,
    },
    HandoverReason.U25_JOINT: _CORE,
    HandoverReason.RETURN_TO_SGB3: _CORE | {_D.ALG1_APPROVAL, _D.JOB_OFFERS_OWN_EFFORTS},
    HandoverReason.TO_SGB12: frozenset({_D.IDENTITY_MASTER_DATA, _D.MEDICAL_PSYCHOLOGICAL_REPORT}),
    HandoverReason.UKRAINE_LRAG: frozenset(
        {_D.IDENTITY_MASTER_DATA, _D.RESIDENCE_PERMIT, _D.INTEGRATION_AGREEMENT}
    ),
}


def missing_documents(
    reason: HandoverReason,
    present: Iterable[DocumentType],
    waived: Iterable[DocumentType] = (),
) -> list[DocumentType]:
    """Mandatory items for `reason` that are neither present nor waived, in a stable order."""
    have = set(present) | set(waived)
    return sorted(REQUIRED_DOCUMENTS[reason] - have)


@dataclass(frozen=True)
class Consent:
    """The person's consent to disclose a special-category document (Art. 9 (2) a GDPR)."""

    given_by: str
    given_at: datetime
    scope: str


@dataclass(frozen=True)
class DocumentRelease:
    """Why a special-category document may leave the source: a legal basis or a consent."""

    released_by_org: str
    released_at: datetime
    legal_basis: str | None = None
    consent: Consent | None = None


@dataclass(frozen=True)
class DossierTypes:
    """The document types a case holds, and those of them that may leave the source."""

    present: frozenset[str] = frozenset()
    releasable: frozenset[str] = frozenset()

    def unreleased(
        self, reason: HandoverReason, waived: Iterable[DocumentType]
    ) -> tuple[DocumentType, ...]:
        """Mandatory types of `reason` held only as withheld special-category documents."""
        return unreleased_required(
            reason,
            (DocumentType(t) for t in self.present),
            (DocumentType(t) for t in self.releasable),
            waived,
        )


def is_special(doc_type: DocumentType, marked_special: bool = False) -> bool:
    """Whether a document is of a special category: by its type or marked so on upload."""
    return marked_special or doc_type in SPECIAL_CATEGORY


def releasable(special: bool, released: bool) -> bool:
    """Whether a document may leave the source: ordinary ones always, special ones once
    a legal basis or the person's consent is recorded (§ 76 SGB X, Art. 9 (2) GDPR)."""
    return not special or released


def unreleased_required(
    reason: HandoverReason,
    present: Iterable[DocumentType],
    releasable_types: Iterable[DocumentType],
    waived: Iterable[DocumentType] = (),
) -> tuple[DocumentType, ...]:
    """Mandatory types that are present only as withheld special documents, in a stable order.

    Such a type blocks the transfer until one document of it is released or it is waived.
    """
    have = set(present) - set(releasable_types) - set(waived)
    return tuple(sorted(REQUIRED_DOCUMENTS[reason] & have))


def withheld_types(documents: Iterable[tuple[DocumentType, bool]]) -> tuple[str, ...]:
    """The types of the documents that stay with the source, for the manifest (types only).

    `documents`: each document's type and whether it may leave the source.
    """
    return tuple(sorted({t.value for t, ok in documents if not ok}))
