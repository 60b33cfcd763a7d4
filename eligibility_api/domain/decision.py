"""Output of the engine: the responsible Rechtskreis, reasons, key dates and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shared.events.eligibility import KeyDatesV1, ReasonV1, WarningV1


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


# The engine's reasons, warnings and key dates are the parts of `eligibility.determined`, so
# each field list is written once (the event's, pinned by tests/contract) and a decision is
# published and stored without mapping it field by field. `Warning` shadows the builtin on
# purpose: the name is part of the agreed output model.
Reason = ReasonV1
Warning = WarningV1
KeyDates = KeyDatesV1


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
    # § 7 (1) S. 1 SGB II: whether the person is an erwerbsfähige/r Leistungsberechtigte/r on
    # the day (every condition met, no exclusion); None while a condition is open.
    erwerbsfaehig_leistungsberechtigt: bool | None = None
    # Paths of the facts (as in EligibilityFactsV1) the engine needed and did not get; each
    # comes with a warning that says what was assumed or left open instead.
    missing_facts: tuple[str, ...] = ()

    @property
    def reason_codes(self) -> frozenset[str]:
        """Codes of all reasons."""
        return frozenset(r.code for r in self.reasons)

    @property
    def warning_codes(self) -> frozenset[str]:
        """Codes of all warnings."""
        return frozenset(w.code for w in self.warnings)
