"""Evaluate facts with the rule engine and keep the decision as a stable, storable snapshot."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from eligibility_api.adapters.facts_mapping import to_person_facts
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.decision import Decision, Warning
from eligibility_api.domain.engine import evaluate
from shared.events.eligibility import KeyDatesV1, ReasonV1, WarningV1
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import LegalDomainCode
from shared.problems import InputOutOfRange
from shared.strict import EARLIEST_DATE, LATEST_DATE, dates_out_of_range, within_date_range

OrgTypeCode = Literal["AGENTUR", "JOBCENTER", "SOCIAL_OFFICE", "NONE"]


class FactsOutOfRange(InputOutOfRange):
    """Facts or a decision day the rule engine cannot compute with; the same every time."""


class DecisionSnapshot(BaseModel):
    """A decision as stored and answered: plain values, independent of the engine's classes."""

    model_config = ConfigDict(frozen=True)

    legal_domain: LegalDomainCode
    parallel_entitlements: tuple[LegalDomainCode, ...] = ()
    responsible_org_type: OrgTypeCode
    integration_responsible_org_type: OrgTypeCode
    reasons: tuple[ReasonV1, ...] = ()
    key_dates: KeyDatesV1
    warnings: tuple[WarningV1, ...] = ()
    rules_version: str
    # stored rows from before these fields read as unknown / none reported
    erwerbsfaehig_leistungsberechtigt: bool | None = None
    missing_facts: tuple[str, ...] = ()

    def confirms(self, legal_domain_to: LegalDomainCode) -> bool:
        """Whether the decision backs a handover into `legal_domain_to`.

        An Aufstocker (ALG I plus SGB II top-up, § 5 (4) SGB II) has SGB II as a parallel
        entitlement; a handover to the Jobcenter is then confirmed as well.
        """
        if self.legal_domain == legal_domain_to:
            return True
        return legal_domain_to == "SGB_II" and "SGB_II" in self.parallel_entitlements


def snapshot_of(
    decision: Decision,
    extra_warnings: tuple[Warning, ...] = (),
    extra_missing_facts: tuple[str, ...] = (),
) -> DecisionSnapshot:
    """The snapshot of an engine decision, with warnings and gaps found while mapping the facts."""
    return DecisionSnapshot(
        legal_domain=decision.legal_domain.value,
        parallel_entitlements=tuple(d.value for d in decision.parallel_entitlements),
        responsible_org_type=decision.responsible_org_type.value,
        integration_responsible_org_type=decision.integration_responsible_org_type.value,
        reasons=decision.reasons,
        key_dates=decision.key_dates,
        warnings=(*decision.warnings, *extra_warnings),
        rules_version=decision.rules_version,
        erwerbsfaehig_leistungsberechtigt=decision.erwerbsfaehig_leistungsberechtigt,
        missing_facts=tuple(dict.fromkeys((*decision.missing_facts, *extra_missing_facts))),
    )


def evaluate_facts(facts: EligibilityFactsV1, as_of: date, config: RuleConfig) -> DecisionSnapshot:
    """Decide on event-shaped facts as of a day (the engine never raises on gaps).

    Dates outside the sane range raise `FactsOutOfRange` instead of an OverflowError deep in
    the date arithmetic, so a consumer dead-letters such an event at once with a clear reason.
    """
    outside = dates_out_of_range(facts)
    if not within_date_range(as_of):
        outside.append("as_of")
    if outside:
        raise FactsOutOfRange(f"dates outside {EARLIEST_DATE}..{LATEST_DATE}: {', '.join(outside)}")
    mapped = to_person_facts(facts)
    try:
        decision = evaluate(mapped.person, as_of, config)
        return snapshot_of(decision, mapped.warnings, mapped.missing_facts)
    except OverflowError as exc:
        raise FactsOutOfRange("the facts lead to a date outside the calendar") from exc
