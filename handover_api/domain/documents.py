"""Document types and what each handover reason requires (domain.md §2.4)."""

from __future__ import annotations

from collections.abc import Iterable
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


# Special-category items (Art. 9 GDPR, § 76 SGB X) never travel by default.
SPECIAL_CATEGORY: frozenset[DocumentType] = frozenset(
    {DocumentType.MEDICAL_PSYCHOLOGICAL_REPORT, DocumentType.YOUTH_WELFARE_INFO}
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


def travels_with(reason: HandoverReason, doc_type: DocumentType) -> bool:
    """Whether a document goes into the manifest: special categories only where mandatory."""
    return doc_type not in SPECIAL_CATEGORY or doc_type in REQUIRED_DOCUMENTS[reason]
