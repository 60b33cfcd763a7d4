"""What each handover reason needs, with German labels, read from `domain/documents.py`."""

from __future__ import annotations

from dataclasses import dataclass

from handover_api.domain.documents import (
    REQUIRED_DOCUMENTS,
    SPECIAL_CATEGORY,
    DocumentType,
    HandoverReason,
)

# Keyed by the type's value: a type added to documents.py shows under its code until it
# has a label here.
DOCUMENT_LABELS: dict[str, str] = {
    "IDENTITY_MASTER_DATA": "Identitäts- und Stammdaten mit Kundennummer",
    "ALG1_APPROVAL": "Bewilligungsbescheid Arbeitslosengeld",
    "SPERRZEIT_RUHEN_DECISION": "Bescheid über Sperrzeit oder Ruhen des Anspruchs",
    "POTENZIALANALYSE": "Potenzialanalyse",
    "INTEGRATION_AGREEMENT": "Eingliederungsvereinbarung oder Kooperationsplan",
    "FOERDERPLAN": "Förderplan mit laufenden und bewilligten Maßnahmen",
    "APPLICANT_PROFILE": "Bewerberprofil",
    "CV_CERTIFICATES": "Lebenslauf und Zeugnisse",
    "JOB_OFFERS_OWN_EFFORTS": "Vermittlungsvorschläge und Eigenbemühungen",
    "APPOINTMENT_HISTORY": "Terminverlauf",
    "BAMF_DECISION": "Bescheid des BAMF",
    "RESIDENCE_PERMIT": "Aufenthaltstitel",
    "ASYLBLG_DISCONTINUATION": "Einstellungsbescheid AsylbLG",
    "INTEGRATION_COURSE": "Integrationskurs: Berechtigung, Teilnahme, Ergebnis",
    "FOREIGN_QUALIFICATION_RECOGNITION": "Anerkennung ausländischer Berufsabschlüsse",
    "MEDICAL_PSYCHOLOGICAL_REPORT": "Ärztliches oder psychologisches Gutachten",
    "SEVERE_DISABILITY_PROOF": "Nachweis der Schwerbehinderung",
    "YOUTH_WELFARE_INFO": "Informationen der Jugendhilfe",
    "INFO_SESSION_ATTENDANCE": "Nachweis über die Teilnahme an der Informationsveranstaltung",
    "OTHER": "Sonstiges Dokument",
}

REASON_LABELS: dict[HandoverReason, str] = {
    HandoverReason.ALG1_EXHAUSTED: "Arbeitslosengeld erschöpft",
    HandoverReason.AUFSTOCKER_END: "Ende des Aufstockens",
    HandoverReason.ASYLUM_RECOGNISED: "Asylantrag anerkannt",
    HandoverReason.U25_JOINT: "Gemeinsame Fallarbeit U25",
    HandoverReason.RETURN_TO_SGB3: "Rückkehr in das SGB III (neuer Anspruch auf Arbeitslosengeld)",
    HandoverReason.TO_SGB12: "Wechsel in das SGB XII",
    HandoverReason.UKRAINE_LRAG: "Rechtskreiswechsel für Geflüchtete aus der Ukraine",
}


@dataclass(frozen=True)
class RequiredDocument:
    """One document type as a reason sees it."""

    type: DocumentType
    label: str
    mandatory: bool
    special_category: bool


@dataclass(frozen=True)
class ReasonDocuments:
    """Every document type for one reason: the mandatory ones first, then the optional ones."""

    reason: HandoverReason
    label: str
    documents: tuple[RequiredDocument, ...]


def documents_for(reason: HandoverReason) -> ReasonDocuments:
    """What `reason` needs, from the table in `domain/documents.py`."""
    required = REQUIRED_DOCUMENTS.get(reason, frozenset())
    ordered = sorted(DocumentType, key=lambda t: (t not in required, list(DocumentType).index(t)))
    return ReasonDocuments(
        reason=reason,
        label=REASON_LABELS.get(reason, reason.value),
        documents=tuple(
            RequiredDocument(
                type=t,
                label=DOCUMENT_LABELS.get(t, t.value),
                mandatory=t in required,
                special_category=t in SPECIAL_CATEGORY,
            )
            for t in ordered
        ),
    )


def required_documents(reason: HandoverReason | None) -> tuple[ReasonDocuments, ...]:
    """One reason's needs, or every reason's in the order of `HandoverReason`."""
    reasons = [reason] if reason is not None else list(HandoverReason)
    return tuple(documents_for(r) for r in reasons)
