"""Output of the engine: the responsible Rechtskreis, reasons, key dates and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class LegalDomain(StrEnum):
    """Rechtskreis responsible for living costs."""

    SGB_III = "SGB_III"
    SGB_II = "SGB_II"
    ASYLBLG = "ASYLBLG"
    SGB_XII = "SGB_XII"
    NONE = "NONE"


class OrgType(StrEnum):
    """Kind of organisation; SOCIAL_OFFICE is the municipal Sozialamt (AsylbLG, SGB XII)."""

    AGENTUR = "AGENTUR"
    JOBCENTER = "JOBCENTER"
    SOCIAL_OFFICE = "SOCIAL_OFFICE"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: a stable UPPER_SNAKE code, a German sentence with the numbers, the legal reference."""

    code: str
    text_de: str
    legal_ref: str


# Shadows the builtin on purpose: the name is part of the agreed output model.
@dataclass(frozen=True, slots=True)
class Warning:
    """A missing or uncertain fact, or an applied rule that domain.md marks UNSURE."""

    code: str
    text_de: str
    uncertain: bool = False


@dataclass(frozen=True, slots=True)
class KeyDates:
    """Dates the decision derives; None where they do not apply or cannot be computed."""

    alg1_claim_start_date: date | None = None
    alg1_entitlement_days: int | None = None
    alg1_end_date: date | None = None
    alg1_remaining_days: int | None = None
    responsibility_change_date: date | None = None
    info_session_invitation_date: date | None = None
    sgb2_age_limit_date: date | None = None
    asylblg_end_date: date | None = None
    sgb2_start_date: date | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The Rechtskreis on the evaluation day, with everything a caseworker needs to check it."""

    legal_domain: LegalDomain
    responsible_org_type: OrgType
    integration_responsible_org_type: OrgType
    rules_version: str
    parallel_entitlements: tuple[LegalDomain, ...] = ()
    reasons: tuple[Reason, ...] = ()
    key_dates: KeyDates = field(default_factory=KeyDates)
    warnings: tuple[Warning, ...] = ()

    @property
    def reason_codes(self) -> frozenset[str]:
        """Codes of all reasons."""
        return frozenset(r.code for r in self.reasons)

    @property
    def warning_codes(self) -> frozenset[str]:
        """Codes of all warnings."""
        return frozenset(w.code for w in self.warnings)
