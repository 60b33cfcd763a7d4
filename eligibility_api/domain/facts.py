"""Input facts of one person as frozen dataclasses; what a caseworker may not know is Optional."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Nationality(StrEnum):
    """Nationality group; EU includes EEA and Swiss citizens (FreizügG/EU)."""

    GERMAN = "GERMAN"
    EU = "EU"
    THIRD_COUNTRY = "THIRD_COUNTRY"


class ResidenceStatus(StrEnum):
    """Residence title or right of residence (domain.md §1.3 plus EU and settled statuses)."""

    # AsylbLG rows of the §1.3 table (§ 1 (1) AsylbLG)
    AUFENTHALTSGESTATTUNG = "AUFENTHALTSGESTATTUNG"
    DULDUNG = "DULDUNG"
    VOLLZIEHBAR_AUSREISEPFLICHTIG = "VOLLZIEHBAR_AUSREISEPFLICHTIG"
    FOLGEANTRAG = "FOLGEANTRAG"
    AUFENTHG_25_5 = "AUFENTHG_25_5"
    AUFENTHG_25_4_S1 = "AUFENTHG_25_4_S1"
    AUFENTHG_23_1_WAR = "AUFENTHG_23_1_WAR"
    AUFENTHG_24_WAR = "AUFENTHG_24_WAR"
    # protection titles after a positive BAMF decision (SGB II / SGB XII)
    AUFENTHG_25_1_ASYL = "AUFENTHG_25_1_ASYL"
    AUFENTHG_25_2_FLUECHTLING = "AUFENTHG_25_2_FLUECHTLING"
    AUFENTHG_25_2_SUBSIDIAER = "AUFENTHG_25_2_SUBSIDIAER"
    AUFENTHG_25_3_ABSCHIEBUNGSVERBOT = "AUFENTHG_25_3_ABSCHIEBUNGSVERBOT"
    # further titles of AufenthG Kap. 2 Abschn. 5 that § 1 (1) Nr. 3 AsylbLG does not list
    AUFENTHG_22 = "AUFENTHG_22"
    AUFENTHG_23_1 = "AUFENTHG_23_1"
    AUFENTHG_23_2 = "AUFENTHG_23_2"
    AUFENTHG_23_4 = "AUFENTHG_23_4"
    AUFENTHG_23A = "AUFENTHG_23A"
    AUFENTHG_25_4_S2 = "AUFENTHG_25_4_S2"
    AUFENTHG_25A = "AUFENTHG_25A"
    AUFENTHG_25B = "AUFENTHG_25B"
    AUFENTHG_26_4 = "AUFENTHG_26_4"
    # Chancen-Aufenthaltsrecht (Kap. 10, not Abschn. 5)
    AUFENTHG_104C = "AUFENTHG_104C"
    # family reunion with a German (§ 28 AufenthG); with a foreigner it is RESIDENCE_PERMIT_FAMILY
    AUFENTHG_28_FAMILY_GERMAN = "AUFENTHG_28_FAMILY_GERMAN"
    # temporary protection for people from Ukraine (§ 24 AufenthG); see the first-granted date
    UKRAINE_24 = "UKRAINE_24"
    # EU citizens (FreizügG/EU)
    EU_WORKER = "EU_WORKER"
    EU_JOB_SEEKER = "EU_JOB_SEEKER"
    EU_PERMANENT_RESIDENCE = "EU_PERMANENT_RESIDENCE"
    EU_SELF_EMPLOYED = "EU_SELF_EMPLOYED"
    # worker status kept after involuntary unemployment (§ 2 (3) FreizügG/EU)
    EU_RETAINED_WORKER = "EU_RETAINED_WORKER"
    # family member of a Union citizen with a right of free movement (§ 3 FreizügG/EU)
    EU_FAMILY_MEMBER = "EU_FAMILY_MEMBER"
    # not economically active, right only with sufficient means (§ 4 FreizügG/EU)
    EU_NOT_ECONOMICALLY_ACTIVE = "EU_NOT_ECONOMICALLY_ACTIVE"
    # settled or other third-country titles
    SETTLEMENT_PERMIT = "SETTLEMENT_PERMIT"
    RESIDENCE_PERMIT_EMPLOYMENT = "RESIDENCE_PERMIT_EMPLOYMENT"
    RESIDENCE_PERMIT_FAMILY = "RESIDENCE_PERMIT_FAMILY"
    RESIDENCE_PERMIT_JOB_SEARCH = "RESIDENCE_PERMIT_JOB_SEARCH"
    # no right of residence at all
    NONE = "NONE"


class AsylumDecisionKind(StrEnum):
    """Operative part of a BAMF decision."""

    ASYL_16A = "ASYL_16A"
    FLUECHTLING_3 = "FLUECHTLING_3"
    SUBSIDIAER_4 = "SUBSIDIAER_4"
    ABSCHIEBUNGSVERBOT_60 = "ABSCHIEBUNGSVERBOT_60"
    ABGELEHNT = "ABGELEHNT"


class InstitutionKind(StrEnum):
    """Where a person is accommodated, for § 7 (4) SGB II."""

    NONE = "NONE"
    # stationäre Einrichtung: the provider takes overall responsibility for daily life
    STATIONARY = "STATIONARY"
    # hospital in the sense of § 107 SGB V
    HOSPITAL = "HOSPITAL"
    # execution of a judicially ordered deprivation of liberty (prison, remand, Maßregelvollzug)
    DETENTION = "DETENTION"


class SperrzeitKind(StrEnum):
    """Cause of a Sperrzeit (§ 159 (1) S. 2 SGB III)."""

    QUIT_JOB = "QUIT_JOB"
    REFUSAL = "REFUSAL"
    INSUFFICIENT_EFFORTS = "INSUFFICIENT_EFFORTS"
    MEASURE = "MEASURE"
    MISSED_APPOINTMENT = "MISSED_APPOINTMENT"
    LATE_REGISTRATION = "LATE_REGISTRATION"


class SuspensionCause(StrEnum):
    """Cause of a Ruhen period (§§ 156-159 SGB III)."""

    SEVERANCE = "SEVERANCE"
    HOLIDAY_COMPENSATION = "HOLIDAY_COMPENSATION"
    SPERRZEIT = "SPERRZEIT"
    SICKNESS = "SICKNESS"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class Sperrzeit:
    """A Sperrzeit; it starts on the day after the event that caused it (§ 159 (2) SGB III)."""

    kind: SperrzeitKind
    start_date: date
    days: int


@dataclass(frozen=True, slots=True)
class Suspension:
    """A Ruhen period: ALG I is not paid, the end date moves, the entitlement is not reduced."""

    start_date: date
    days: int
    cause: SuspensionCause = SuspensionCause.OTHER


@dataclass(frozen=True, slots=True)
class TrainingPeriod:
    """Funded further training with ALG I (§ 148 (1) Nr. 7 SGB III); both days inclusive."""

    start_date: date
    end_date: date


@dataclass(frozen=True, slots=True)
class PreviousClaim:
    """An earlier ALG I claim that expired when the current one arose (§ 147 (4) SGB III)."""

    start_date: date
    remaining_days: int


@dataclass(frozen=True, slots=True)
class Alg1Facts:
    """The ALG I claim and every event that shortens or shifts it."""

    claim_start_date: date | None = None
    insured_months_30: int | None = None
    insured_months_60: int | None = None
    short_contract: bool = False
    previous_claim: PreviousClaim | None = None
    # Days already paid on this claim, counted up to the start of the evaluation day (§ 148 (1)
    # Nr. 1). When given it replaces the day-by-day forecast of consumption before that day.
    paid_days: int | None = None
    partial_alg_days_last_2y: int = 0
    sperrzeiten: tuple[Sperrzeit, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    training_periods: tuple[TrainingPeriod, ...] = ()
    monthly_amount_eur: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AsylumDecision:
    """The BAMF decision: operative part and dates only, never the reasons."""

    kind: AsylumDecisionKind
    decision_date: date | None = None
    served_date: date | None = None
    final_date: date | None = None
    permit_issued_date: date | None = None


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """Everything the engine decides on; unknown facts stay None and produce warnings."""

    birth_date: date | None = None
    nationality: Nationality | None = None
    entry_date: date | None = None
    # first registration with a Meldebehörde in Germany (§ 7 (1) S. 5 SGB II)
    registered_since: date | None = None
    # spouse, partner, child or parent of a German citizen (BA FW § 7 Rz. 7.14)
    family_member_of_german: bool | None = None
    # the right of residence derives from a family member excluded by § 7 (1) S. 2 Nr. 2 SGB II
    family_member_of_job_seeker: bool | None = None
    # § 7 (1) S. 4 Hs. 2 SGB II: the Ausländerbehörde established the loss of free movement
    freizuegigkeit_loss_established: bool | None = None
    residence_status: ResidenceStatus | None = None
    asylum_decision: AsylumDecision | None = None
    ukraine_24_first_granted_date: date | None = None
    # end of the current SGB II approval period, for the planned LRAG transition (Ukraine)
    sgb2_approval_end_date: date | None = None
    # date of the decision to suspend deportation, for § 25 (5) AufenthG (18-month rule)
    deportation_suspended_date: date | None = None
    erwerbsfaehig: bool | None = None
    hilfebeduerftig: bool | None = None
    # household of the Bedarfsgemeinschaft; income excludes ALG I, which the engine adds itself
    household_monthly_need_eur: Decimal | None = None
    household_monthly_income_eur: Decimal | None = None
    habitual_residence_de: bool | None = None
    receives_old_age_pension: bool | None = None
    # legacy summary of § 7 (4); the institution facts below replace it when given
    inpatient_over_6_months: bool | None = None
    institution: InstitutionKind | None = None
    institution_admission_date: date | None = None
    # prognosis made at admission (§ 7 (4) S. 3 Nr. 1 SGB II)
    hospital_stay_expected_under_6_months: bool | None = None
    # hours per week of work under the usual conditions of the general labour market
    weekly_work_hours: Decimal | None = None
    training_bafoeg_eligible: bool | None = None
    lives_with_erwerbsfaehig_person: bool | None = None
    alg1: Alg1Facts | None = None
