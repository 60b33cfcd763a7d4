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

    kind: SperrzeitKind = Field(
        description="Cause (§ 159 (1) S. 2 SGB III): QUIT_JOB Arbeitsaufgabe (Nr. 1), REFUSAL "
        "Arbeitsablehnung (Nr. 2), INSUFFICIENT_EFFORTS unzureichende Eigenbemühungen (Nr. 3), "
        "MEASURE Ablehnung oder Abbruch einer Maßnahme (Nr. 4, 5), MISSED_APPOINTMENT "
        "Meldeversäumnis (Nr. 6), LATE_REGISTRATION verspätete Arbeitsuchendmeldung (Nr. 7)",
        examples=["QUIT_JOB"],
    )
    start_date: RangedDate = Field(
        description="First day of the Sperrzeit: the day after the event that caused it "
        "(§ 159 (2) S. 1 SGB III)",
        examples=["2025-02-01"],
    )
    days: int = Field(
        ge=0,
        le=7 * 12,
        description="Length in calendar days as the Agentur decided it (84 for twelve weeks, "
        "42, 21, 7, ...); ALG I rests for these days and the entitlement is reduced "
        "(§ 148 (1) Nr. 3, 4 SGB III)",
        examples=[84],
    )


class SuspensionV1(_Facts):
    """A period in which ALG I rests (Ruhen, §§ 156-158 SGB III)."""

    start_date: RangedDate = Field(
        description="First day on which ALG I rests", examples=["2025-02-01"]
    )
    days: int = Field(
        ge=0,
        le=3660,
        description="Calendar days the claim rests: nothing is paid, the end date moves by "
        "these days, the entitlement is not reduced",
        examples=[30],
    )
    cause: Literal["SEVERANCE", "HOLIDAY_COMPENSATION", "SPERRZEIT", "SICKNESS", "OTHER"] = Field(
        default="OTHER",
        description="Why it rests: SEVERANCE Entlassungsentschädigung (§ 158 SGB III), "
        "HOLIDAY_COMPENSATION Urlaubsabgeltung (§ 157 (2)), SPERRZEIT (§ 159), SICKNESS "
        "Krankengeld and similar benefits (§ 156), OTHER; absent means OTHER",
        examples=["SEVERANCE"],
    )


class TrainingPeriodV1(_Facts):
    """Funded further vocational training while drawing ALG I (§ 148 (1) Nr. 7 SGB III)."""

    start_date: RangedDate = Field(
        description="First day of the funded training (inclusive)", examples=["2025-09-01"]
    )
    end_date: RangedDate = Field(
        description="Last day of the funded training (inclusive)", examples=["2026-08-31"]
    )


class Alg1HistoryV1(_Facts):
    """The ALG I claim and what shortens or shifts it."""

    claim_start_date: RangedDate | None = Field(
        default=None,
        description="Day the current ALG I claim arose (§ 137 SGB III: unemployed, registered "
        "as unemployed, Anwartschaftszeit met); the Rahmenfristen count back from it",
        examples=["2025-02-01"],
    )
    insured_months_30: int | None = Field(
        default=None,
        ge=0,
        le=30,
        description="Whole months of compulsory insurance in the Rahmenfrist of 30 months "
        "before `claim_start_date` (§§ 142, 143 SGB III: at least 12 qualify)",
        examples=[24],
    )
    insured_months_60: int | None = Field(
        default=None,
        ge=0,
        le=60,
        description="Whole months of compulsory insurance in the five years (60 months) before "
        "`claim_start_date`, which decide the duration (§ 147 (1) Nr. 1, (2) SGB III); at "
        "least `insured_months_30`",
        examples=[48],
    )
    short_contract: bool = Field(
        default=False,
        description="The shortened Anwartschaftszeit for mainly short fixed-term work applies "
        "(§ 142 (2) SGB III; its conditions are taken as given, with a warning); absent means "
        "false",
        examples=[False],
    )
    previous_claim_start_date: RangedDate | None = Field(
        default=None,
        description="Start of an earlier ALG I claim that still had days left when the current "
        "one arose (§ 147 (4) SGB III); give it with `previous_remaining_days`",
        examples=["2022-03-01"],
    )
    previous_remaining_days: int | None = Field(
        default=None,
        ge=0,
        le=720,
        description="Days of entitlement left of that earlier claim on the day the current one "
        "arose",
        examples=[120],
    )
    paid_days: int | None = Field(
        default=None,
        ge=0,
        le=720,
        description="Days for which ALG I of this claim was paid (erfüllt) before `as_of` "
        "(§ 148 (1) Nr. 1 SGB III). When absent the engine assumes payment on every day "
        "since `claim_start_date` except the given Ruhen periods and names it in "
        "`missing_facts`",
        examples=[200],
    )
    partial_alg_days_last_2y: int = Field(
        default=0,
        ge=0,
        le=730,
        description="Days of Teilarbeitslosengeld fulfilled in the two years before "
        "`claim_start_date`; every two reduce the entitlement by one day (§ 148 (1) Nr. 2 "
        "SGB III); absent means 0",
        examples=[0],
    )
    sperrzeiten: tuple[SperrzeitV1, ...] = Field(
        default=(),
        description="Every Sperrzeit of this claim (§ 159 SGB III); absent means none",
    )
    suspensions: tuple[SuspensionV1, ...] = Field(
        default=(),
        description="Every period in which the claim rests (§§ 156-158 SGB III); absent means none",
    )
    training_periods: tuple[TrainingPeriodV1, ...] = Field(
        default=(),
        description="Funded further training while drawing ALG I (§ 148 (1) Nr. 7, (2), (3) "
        "SGB III); absent means none",
    )
    monthly_amount_eur: Decimal | None = Field(
        default=None,
        ge=0,
        le=100_000,
        description="ALG I paid per month in euros (the daily Leistungsbetrag × 30, § 154 SGB "
        "III) for the month of `as_of`; the engine adds it to the household income while the "
        "claim runs, to decide an SGB II top-up (§ 5 (4), § 11 SGB II)",
        examples=["1250.00"],
    )


class AsylumDecisionV1(_Facts):
    """The BAMF decision: operative part only (type and dates), never the reasons."""

    type: AsylumDecisionType = Field(
        description="Operative part: ASYL_16A (Art. 16a GG), FLUECHTLING_3 (§ 3 AsylG), "
        "SUBSIDIAER_4 (§ 4 AsylG), ABSCHIEBUNGSVERBOT_60 (§ 60 (5), (7) AufenthG), ABGELEHNT",
        examples=["FLUECHTLING_3"],
    )
    decision_date: RangedDate = Field(
        description="Date of the BAMF decision (Bescheid)", examples=["2026-03-10"]
    )
    served_date: RangedDate | None = Field(
        default=None,
        description="Date the decision was served (Zustellung); counts only under the "
        "configurable SERVICE_MONTH_END reading",
        examples=["2026-03-13"],
    )
    final_date: RangedDate | None = Field(
        default=None,
        description="Date the decision became final (unanfechtbar): the Aufenthaltsgestattung "
        "ends (§ 67 (1) AsylG) and AsylbLG with that month (§ 1 (3) AsylbLG), unless a title "
        "was issued earlier",
        examples=["2026-03-27"],
    )
    permit_issued_date: RangedDate | None = Field(
        default=None,
        description="Date the residence title after the decision (§ 25 (1)-(3) AufenthG) was "
        "issued; AsylbLG ends with that month if it is earlier than finality (§ 1 (2), (3) "
        "AsylbLG)",
        examples=["2026-04-20"],
    )


class EligibilityFactsV1(_Facts):
    """What eligibility needs to decide the Rechtskreis; every field may still be unknown.

    A state (status, household, work) is the one on the decision day (`as_of`); a date is the
    day the event happened. An unknown fact is left out: the answer then names it in
    `missing_facts` with a warning, and never assumes it silently.
    """

    birth_date: RangedDate | None = Field(
        default=None,
        description="Date of birth: age 15 and the age limit of § 7a SGB II / § 235 SGB VI "
        "(§ 136 (2) SGB III), the ALG I duration by age at the claim start (§ 147 (2) SGB III) "
        "and support for those under 25",
        examples=["1970-06-15"],
    )
    nationality: Nationality | None = Field(
        default=None,
        description="Nationality group on `as_of`: GERMAN, EU (also EEA and Swiss citizens, "
        "FreizügG/EU) or THIRD_COUNTRY; for a dual national with German nationality GERMAN",
        examples=["GERMAN"],
    )
    entry_date: RangedDate | None = Field(
        default=None,
        description="Day of the entry into Germany that began the current stay; the first "
        "three months of § 7 (1) S. 2 Nr. 1 SGB II count from it",
        examples=["2024-09-10"],
    )
    registered_since: RangedDate | None = Field(
        default=None,
        description="Day of the first registration with a Meldebehörde in Germany; the five "
        "years of § 7 (1) S. 4 SGB II count from it (S. 5), not from entry",
        examples=["2020-10-01"],
    )
    family_member_of_german: bool | None = Field(
        default=None,
        description="Spouse, registered partner, child or parent of a German citizen living "
        "with them on `as_of`; the first-three-months exclusion does not reach them",
        examples=[False],
    )
    family_member_of_job_seeker: bool | None = Field(
        default=None,
        description="The right of residence derives only from a family member with no right of "
        "residence or one for job seeking only (§ 7 (1) S. 2 Nr. 2 Buchst. c SGB II)",
        examples=[False],
    )
    freizuegigkeit_loss_established: bool | None = Field(
        default=None,
        description="The Ausländerbehörde has established the loss of the right of free "
        "movement (§ 7 (1) S. 4 Hs. 2 SGB II); five years of residence then do not help",
        examples=[False],
    )
    residence_status: str | None = Field(
        default=None,
        max_length=60,
        description="Residence title or right of residence on `as_of` (the code list of the "
        "HTTP request; events keep it a string so a newer code never breaks a consumer)",
        examples=["AUFENTHG_25_2_FLUECHTLING"],
    )
    asylum_decision: AsylumDecisionV1 | None = Field(
        default=None, description="The latest BAMF decision on the asylum application, if any"
    )
    ukraine_24_first_granted_date: RangedDate | None = Field(
        default=None,
        description="Day the residence permit under § 24 AufenthG (Ukraine) was first granted",
        examples=["2025-03-15"],
    )
    sgb2_approval_end_date: RangedDate | None = Field(
        default=None,
        description="Last day of the current SGB II approval period (Bewilligungszeitraum), "
        "for the planned LRAG transition of § 24 AufenthG holders",
        examples=["2026-09-30"],
    )
    deportation_suspended_date: RangedDate | None = Field(
        default=None,
        description="Day deportation was suspended, for a § 25 (5) AufenthG title (AsylbLG for "
        "18 months from it, § 1 (1) Nr. 3 Buchst. c AsylbLG)",
        examples=["2025-01-20"],
    )
    erwerbsfaehig: bool | None = Field(
        default=None,
        description="Erwerbsfähig on `as_of` (§ 8 SGB II: able to work at least three hours a "
        "day under the usual conditions of the general labour market for the foreseeable "
        "future), as the Agentur found it (§ 44a SGB II)",
        examples=[True],
    )
    hilfebeduerftig: bool | None = Field(
        default=None,
        description="The Bedarfsgemeinschaft cannot cover its need from income and assets in "
        "the month of `as_of` (§ 9 SGB II), as stated; when given it wins over the household "
        "figures",
        examples=[True],
    )
    household_monthly_need_eur: Decimal | None = Field(
        default=None,
        ge=0,
        le=100_000,
        description="Monthly need of the whole Bedarfsgemeinschaft in euros for the month of "
        "`as_of`: Regelbedarfe, Mehrbedarfe, costs of accommodation and heating (§§ 19-22 SGB "
        "II)",
        examples=["1850.00"],
    )
    household_monthly_income_eur: Decimal | None = Field(
        default=None,
        ge=0,
        le=100_000,
        description="Countable monthly income of the whole Bedarfsgemeinschaft in euros for the "
        "month of `as_of` after the deductions of § 11b SGB II, without ALG I: the engine adds "
        "`alg1.monthly_amount_eur` itself while the claim runs. Assets are not checked",
        examples=["600.00"],
    )
    habitual_residence_de: bool | None = Field(
        default=None,
        description="Habitual residence in Germany on `as_of` (§ 7 (1) S. 1 Nr. 4 SGB II, § 30 "
        "(3) SGB I)",
        examples=[True],
    )
    receives_old_age_pension: bool | None = Field(
        default=None,
        description="Receives on `as_of` an old-age pension of any kind (full or partial, early "
        "or standard, also a foreign public one), a Knappschaftsausgleichsleistung or a "
        "similar public benefit (§ 7 (4) S. 1 SGB II)",
        examples=[False],
    )
    inpatient_over_6_months: bool | None = Field(
        default=None,
        description="Legacy summary of § 7 (4) SGB II (expected to stay in an institution for "
        "more than six months); `institution` replaces it when given",
        examples=[False],
    )
    institution: InstitutionKind | None = Field(
        default=None,
        description="Accommodation on `as_of` (§ 7 (4) SGB II): NONE, STATIONARY (the provider "
        "takes overall responsibility for daily life), HOSPITAL (§ 107 SGB V), DETENTION "
        "(judicially ordered deprivation of liberty)",
        examples=["NONE"],
    )
    institution_admission_date: RangedDate | None = Field(
        default=None,
        description="Day of admission to that institution; the exclusion applies from it",
        examples=["2026-02-02"],
    )
    hospital_stay_expected_under_6_months: bool | None = Field(
        default=None,
        description="Prognosis made at admission to hospital: the stay is expected to last "
        "under six months (§ 7 (4) S. 3 Nr. 1 SGB II)",
        examples=[True],
    )
    weekly_work_hours: Decimal | None = Field(
        default=None,
        ge=0,
        le=168,
        description="Hours per week of work under the usual conditions of the general labour "
        "market on `as_of`; 15 or more keep SGB II in a stationäre Einrichtung (§ 7 (4) S. 3 "
        "Nr. 2 SGB II)",
        examples=["20"],
    )
    training_bafoeg_eligible: bool | None = Field(
        default=None,
        description="In training on `as_of` that is eligible in principle for BAföG or BAB "
        "(§ 7 (5) SGB II)",
        examples=[False],
    )
    lives_with_erwerbsfaehig_person: bool | None = Field(
        default=None,
        description="Lives on `as_of` in a Bedarfsgemeinschaft with an erwerbsfähige "
        "leistungsberechtigte person (§ 7 (2), (3) SGB II); decides SGB II (§ 23) or SGB XII "
        "for someone not erwerbsfähig",
        examples=[False],
    )
    alg1: Alg1HistoryV1 | None = Field(
        default=None, description="The ALG I claim, if the person has or had one"
    )
