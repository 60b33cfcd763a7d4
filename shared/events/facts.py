"""Eligibility-relevant facts of a person as they travel in events (no names, no addresses)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.strict import RangedDate

Nationality = Literal["GERMAN", "EU", "THIRD_COUNTRY"]
AsylumDecisionType = Literal[
    "ASYL_16A", "FLUECHTLING_3", "SUBSIDIAER_4", "ABSCHIEBUNGSVERBOT_60", "ABGELEHNT"
]
# The code list of residence titles (domain.md §1.3 plus EU and settled statuses). Events keep
# `residence_status` a plain string so a new code never breaks an older consumer; HTTP
# requests are checked against this list.
ResidenceStatusCode = Literal[
    "AUFENTHALTSGESTATTUNG",
    "DULDUNG",
    "VOLLZIEHBAR_AUSREISEPFLICHTIG",
    "FOLGEANTRAG",
    "AUFENTHG_25_5",
    "AUFENTHG_25_4_S1",
    "AUFENTHG_23_1_WAR",
    "AUFENTHG_24_WAR",
    "AUFENTHG_25_1_ASYL",
    "AUFENTHG_25_2_FLUECHTLING",
    "AUFENTHG_25_2_SUBSIDIAER",
    "AUFENTHG_25_3_ABSCHIEBUNGSVERBOT",
    "AUFENTHG_22",
    "AUFENTHG_23_1",
    "AUFENTHG_23_2",
    "AUFENTHG_23_4",
    "AUFENTHG_23A",
    "AUFENTHG_25_4_S2",
    "AUFENTHG_25A",
    "AUFENTHG_25B",
    "AUFENTHG_26_4",
    "AUFENTHG_104C",
    "AUFENTHG_28_FAMILY_GERMAN",
    "UKRAINE_24",
    "EU_WORKER",
    "EU_JOB_SEEKER",
    "EU_PERMANENT_RESIDENCE",
    "EU_SELF_EMPLOYED",
    "EU_RETAINED_WORKER",
    "EU_FAMILY_MEMBER",
    "EU_NOT_ECONOMICALLY_ACTIVE",
    "SETTLEMENT_PERMIT",
    "RESIDENCE_PERMIT_EMPLOYMENT",
    "RESIDENCE_PERMIT_FAMILY",
    "RESIDENCE_PERMIT_JOB_SEARCH",
    "NONE",
]
InstitutionKind = Literal["NONE", "STATIONARY", "HOSPITAL", "DETENTION"]
SperrzeitKind = Literal[
    "QUIT_JOB",
    "REFUSAL",
    "INSUFFICIENT_EFFORTS",
    "MEASURE",
    "MISSED_APPOINTMENT",
    "LATE_REGISTRATION",
]


# Fact dates are bounded (shared.strict): the engine computes with them, and a date it cannot
# compute with must be refused where it enters, not dead-lettered later.
class _Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SperrzeitV1(_Facts):
    """A Sperrzeit (§ 159 SGB III)."""

    kind: SperrzeitKind
    start_date: RangedDate
    days: int = Field(ge=0, le=7 * 12)


class SuspensionV1(_Facts):
    """A period in which ALG I rests (Ruhen, §§ 156-158 SGB III)."""

    start_date: RangedDate
    days: int = Field(ge=0, le=3660)
    cause: Literal["SEVERANCE", "HOLIDAY_COMPENSATION", "SPERRZEIT", "SICKNESS", "OTHER"] = "OTHER"


class TrainingPeriodV1(_Facts):
    """Funded further vocational training while drawing ALG I (§ 148 (1) Nr. 7 SGB III)."""

    start_date: RangedDate
    end_date: RangedDate


class Alg1HistoryV1(_Facts):
    """The ALG I claim and what shortens or shifts it."""

    claim_start_date: RangedDate | None = None
    insured_months_30: int | None = Field(default=None, ge=0, le=30)
    insured_months_60: int | None = Field(default=None, ge=0, le=60)
    short_contract: bool = False
    previous_claim_start_date: RangedDate | None = None
    previous_remaining_days: int | None = Field(default=None, ge=0, le=720)
    paid_days: int | None = Field(default=None, ge=0, le=720)
    partial_alg_days_last_2y: int = Field(default=0, ge=0, le=730)
    sperrzeiten: tuple[SperrzeitV1, ...] = ()
    suspensions: tuple[SuspensionV1, ...] = ()
    training_periods: tuple[TrainingPeriodV1, ...] = ()
    monthly_amount_eur: Decimal | None = Field(default=None, ge=0, le=100_000)


class AsylumDecisionV1(_Facts):
    """The BAMF decision: operative part only (type and dates), never the reasons."""

    type: AsylumDecisionType
    decision_date: RangedDate
    served_date: RangedDate | None = None
    final_date: RangedDate | None = None
    permit_issued_date: RangedDate | None = None


class EligibilityFactsV1(_Facts):
    """What eligibility needs to decide the Rechtskreis; every field may still be unknown."""

    birth_date: RangedDate | None = None
    nationality: Nationality | None = None
    entry_date: RangedDate | None = None
    registered_since: RangedDate | None = None
    family_member_of_german: bool | None = None
    family_member_of_job_seeker: bool | None = None
    freizuegigkeit_loss_established: bool | None = None
    residence_status: str | None = Field(default=None, max_length=60)
    asylum_decision: AsylumDecisionV1 | None = None
    ukraine_24_first_granted_date: RangedDate | None = None
    sgb2_approval_end_date: RangedDate | None = None
    deportation_suspended_date: RangedDate | None = None
    erwerbsfaehig: bool | None = None
    hilfebeduerftig: bool | None = None
    household_monthly_need_eur: Decimal | None = Field(default=None, ge=0, le=100_000)
    household_monthly_income_eur: Decimal | None = Field(default=None, ge=0, le=100_000)
    habitual_residence_de: bool | None = None
    receives_old_age_pension: bool | None = None
    inpatient_over_6_months: bool | None = None
    institution: InstitutionKind | None = None
    institution_admission_date: RangedDate | None = None
    hospital_stay_expected_under_6_months: bool | None = None
    weekly_work_hours: Decimal | None = Field(default=None, ge=0, le=168)
    training_bafoeg_eligible: bool | None = None
    lives_with_erwerbsfaehig_person: bool | None = None
    alg1: Alg1HistoryV1 | None = None
