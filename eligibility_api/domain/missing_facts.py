"""Which facts the engine needed and did not get, named by their path in the facts model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eligibility_api.domain.decision import Warning
from eligibility_api.domain.facts import PersonFacts

# Each warning the engine raises for a fact it needed and did not get (or for a default it
# assumed in its place) names the facts that would have answered it, by their path in
# EligibilityFactsV1 (the request and event model). Only those still unset are reported, so
# a warning with alternatives (a stated answer or the figures behind it) names what is open.
FACT_PATHS_BY_WARNING: Mapping[str, tuple[str, ...]] = {
    "BIRTH_DATE_MISSING": ("birth_date",),
    "ALG1_BIRTH_DATE_MISSING": ("birth_date",),
    "NATIONALITY_MISSING": ("nationality",),
    "ENTRY_DATE_MISSING": ("entry_date",),
    "REGISTRATION_DATE_MISSING": ("registered_since",),
    "FREIZUEGIGKEIT_LOSS_UNKNOWN": ("freizuegigkeit_loss_established",),
    "FAMILY_OF_GERMAN_UNKNOWN": ("family_member_of_german",),
    "FAMILY_OF_JOB_SEEKER_UNKNOWN": ("family_member_of_job_seeker",),
    "RESIDENCE_STATUS_MISSING": ("residence_status",),
    "ERWERBSFAEHIGKEIT_UNKNOWN": ("erwerbsfaehig",),
    "HABITUAL_RESIDENCE_UNKNOWN": ("habitual_residence_de",),
    "HILFEBEDUERFTIGKEIT_UNKNOWN": (
        "hilfebeduerftig",
        "household_monthly_need_eur",
        "household_monthly_income_eur",
    ),
    "BG_MEMBERSHIP_UNKNOWN": ("lives_with_erwerbsfaehig_person",),
    "OLD_AGE_PENSION_UNKNOWN": ("receives_old_age_pension",),
    "INSTITUTION_UNKNOWN": ("institution",),
    "INSTITUTION_LEGACY_FACT": ("institution",),
    "INSTITUTION_ADMISSION_DATE_MISSING": ("institution_admission_date",),
    "HOSPITAL_PROGNOSIS_MISSING": ("hospital_stay_expected_under_6_months",),
    "WEEKLY_WORK_HOURS_MISSING": ("weekly_work_hours",),
    "TRAINING_BAFOEG_UNKNOWN": ("training_bafoeg_eligible",),
    "DEPORTATION_SUSPENDED_DATE_MISSING": ("deportation_suspended_date",),
    "UKRAINE_GRANT_DATE_MISSING": ("ukraine_24_first_granted_date",),
    "SGB2_APPROVAL_END_MISSING": ("sgb2_approval_end_date",),
    "REFUGEE_FINALITY_DATE_MISSING": (
        "asylum_decision.final_date",
        "asylum_decision.permit_issued_date",
    ),
    "REFUGEE_DECISION_DATE_MISSING": (
        "asylum_decision.decision_date",
        "asylum_decision.served_date",
    ),
    "REFUGEE_PROTECTION_DATE_FALLBACK": (
        "asylum_decision.served_date",
        "asylum_decision.decision_date",
    ),
    "ALG1_CLAIM_START_MISSING": ("alg1.claim_start_date",),
    "ALG1_INSURED_MONTHS_MISSING": ("alg1.insured_months_30",),
    "ALG1_INSURED_MONTHS_60_MISSING": ("alg1.insured_months_60",),
    "ALG1_PAID_DAYS_MISSING": ("alg1.paid_days",),
    "ALG1_AMOUNT_MISSING": ("alg1.monthly_amount_eur",),
}


def _unset(facts: PersonFacts, path: str) -> bool:
    value: object = facts
    for name in path.split("."):
        value = getattr(value, name, None)
        if value is None:
            return True
    return False


def missing_facts(facts: PersonFacts, warnings: Iterable[Warning]) -> tuple[str, ...]:
    """The unset facts behind the warnings, in the order the warnings were raised, once each."""
    found: dict[str, None] = {}
    for warning in warnings:
        for path in FACT_PATHS_BY_WARNING.get(warning.code, ()):
            if _unset(facts, path):
                found.setdefault(path, None)
    return tuple(found)
