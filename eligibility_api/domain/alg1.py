"""ALG I (SGB III): qualifying period, duration, reductions, Ruhen, expiry and forecast end date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Generic, TypeVar

from eligibility_api.domain.age_limit import age_limit_month_end, regelaltersgrenze_months
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.dates import (
    ONE_DAY,
    add_months,
    completed_years,
    days_in_month,
    fmt,
    month_end,
    period_end,
)
from eligibility_api.domain.decision import Reason, Warning
from eligibility_api.domain.facts import (
    Alg1Facts,
    PreviousClaim,
    Sperrzeit,
    SperrzeitKind,
    Suspension,
)
from eligibility_api.domain.rulesets import RuleSet

T = TypeVar("T")

DAYS_PER_MONTH = 30
QUALIFYING_MONTHS = 12
SHORT_CONTRACT_MIN_MONTHS = 6
QUIT_JOB_FULL_SPERRZEIT_DAYS = 12 * 7
RESTANSPRUCH_YEARS = 5
# § 161 (2) SGB III: a claim can no longer be asserted once four years have passed since it arose.
CLAIM_LIFETIME_MONTHS = 4 * 12
# Bürgergeld-Gesetz of 16 Dec 2022 (BGBl. I S. 2328): from 1 Jul 2023 further training keeps a
# remainder of three months instead of one (§ 148 (2) S. 3 SGB III) and § 148 (3) extends a
# short remainder after at least six months of training. Before, the floor was one month.
TRAINING_RULES_2023_DATE = date(2023, 7, 1)
TRAINING_MIN_REMAINING_DAYS_BEFORE_2023 = 30

# § 147 (2) SGB III: (insured months ≥, age ≥, months of ALG I); the highest satisfied row wins.
DURATION_TABLE: tuple[tuple[int, int, int], ...] = (
    (12, 0, 6),
    (16, 0, 8),
    (20, 0, 10),
    (24, 0, 12),
    (30, 50, 15),
    (36, 55, 18),
    (48, 58, 24),
)
# § 147 (3) SGB III for the § 142 (2) short-contract variant: (insured months ≥, months of ALG I).
SHORT_CONTRACT_TABLE: tuple[tuple[int, int], ...] = ((6, 3), (8, 4), (10, 5))

_REDUCTION_REFS: dict[SperrzeitKind, str] = {
    SperrzeitKind.QUIT_JOB: "§ 148 Abs. 1 Nr. 4 SGB III",
    SperrzeitKind.REFUSAL: "§ 148 Abs. 1 Nr. 3 SGB III",
    SperrzeitKind.INSUFFICIENT_EFFORTS: "§ 148 Abs. 1 Nr. 3 SGB III",
    SperrzeitKind.MEASURE: "§ 148 Abs. 1 Nr. 3 SGB III",
    SperrzeitKind.MISSED_APPOINTMENT: "§ 148 Abs. 1 Nr. 3 SGB III",
    SperrzeitKind.LATE_REGISTRATION: "§ 148 Abs. 1 Nr. 3 SGB III",
}
_SPERRZEIT_TEXT: dict[SperrzeitKind, str] = {
    SperrzeitKind.QUIT_JOB: "Arbeitsaufgabe",
    SperrzeitKind.REFUSAL: "Arbeitsablehnung",
    SperrzeitKind.INSUFFICIENT_EFFORTS: "unzureichender Eigenbemühungen",
    SperrzeitKind.MEASURE: "Ablehnung oder Abbruch einer Maßnahme",
    SperrzeitKind.MISSED_APPOINTMENT: "Meldeversäumnis",
    SperrzeitKind.LATE_REGISTRATION: "verspäteter Arbeitsuchendmeldung",
}
# § 148 (2) S. 2 SGB III: only these reductions lapse after one year.
_LAPSING_KINDS = frozenset({SperrzeitKind.QUIT_JOB, SperrzeitKind.MEASURE})


def duration_months(insured_months_60: int, age_at_claim: int) -> int:
    """Months of ALG I under § 147 (2) SGB III; 0 if no row applies."""
    months = 0
    for min_insured, min_age, row_months in DURATION_TABLE:
        if insured_months_60 >= min_insured and age_at_claim >= min_age:
            months = max(months, row_months)
    return months


def short_contract_months(insured_months_30: int) -> int:
    """Months of ALG I under § 147 (3) SGB III for the § 142 (2) variant; 0 below 6 months."""
    months = 0
    for min_insured, row_months in SHORT_CONTRACT_TABLE:
        if insured_months_30 >= min_insured:
            months = row_months
    return months


def age_maximum_months(age_at_claim: int) -> int:
    """Highest duration reachable at this age; caps the § 147 (4) remaining entitlement.

    0 for a negative age (a birth date after the claim), which implausible facts can give.
    """
    return max(
        (months for _, min_age, months in DURATION_TABLE if age_at_claim >= min_age), default=0
    )


def alg1_age_limit_date(birth_date: date) -> date:
    """Last day with ALG I: no claim from the month after the Regelaltersgrenze (§ 136 (2))."""
    return age_limit_month_end(birth_date)


def quit_job_reduction_days(sperrzeit_days: int, duration_days: int) -> int:
    """Reduction for a quit-job Sperrzeit; a 12-week one takes at least ¼ of the duration (ceil)."""
    if sperrzeit_days >= QUIT_JOB_FULL_SPERRZEIT_DAYS:
        # "mindestens jedoch um ein Viertel": a fractional quarter is rounded up to a whole day.
        return max(sperrzeit_days, -(-duration_days // 4))
    return sperrzeit_days


class DayKind(Enum):
    """How a calendar day consumes the entitlement."""

    PAID = 2  # half-day units
    TRAINING = 1
    RESTING = 0


@dataclass(frozen=True, slots=True)
class Timeline:
    """Ruhen and training periods (inclusive) that shape the day-by-day consumption."""

    resting: tuple[tuple[date, date], ...] = ()
    training: tuple[tuple[date, date], ...] = ()

    def kind(self, day: date) -> DayKind:
        """Kind of `day`; Ruhen wins over training."""
        if any(start <= day <= end for start, end in self.resting):
            return DayKind.RESTING
        if any(start <= day <= end for start, end in self.training):
            return DayKind.TRAINING
        return DayKind.PAID


@dataclass(frozen=True, slots=True)
class Forecast:
    """Result of walking the calendar from the payment start."""

    end_date: date | None
    remaining_half_days_at: int | None
    training_half_days: int
    extension_date: date | None
    split_month: bool


_HORIZON_DAYS = 366 * 30


def training_floor_days(day: date, config: RuleConfig) -> int:
    """Remainder further training never reduces on `day` (§ 148 (2) S. 3 SGB III).

    One month until the Bürgergeld-Gesetz changed S. 3, three months (config) since.
    """
    if day >= TRAINING_RULES_2023_DATE:
        return config.training_min_remaining_days
    return TRAINING_MIN_REMAINING_DAYS_BEFORE_2023


def forecast(
    start: date,
    entitlement_days: int,
    timeline: Timeline,
    as_of: date,
    config: RuleConfig,
) -> Forecast:
    """Walk the calendar: a fully paid month counts 30 days (§ 154 S. 2), other days singly.

    Units are half days so that further training (½ day per day, § 148 (1) Nr. 7) stays exact.
    """
    remaining = 2 * entitlement_days
    extension = 2 * config.training_extension_days
    long_trainings = {
        end
        for start_t, end in timeline.training
        if end >= period_end(start_t, config.training_extension_min_months)
    }
    at_as_of: int | None = remaining if as_of < start else None
    training_used = 0
    extension_date: date | None = None
    split_month = start.day != 1
    cursor = start
    if remaining <= 0:
        return Forecast(None, 0, 0, None, split_month)
    while (cursor - start).days < _HORIZON_DAYS:
        last = month_end(cursor)
        span = (last - cursor).days + 1
        kinds = [timeline.kind(cursor + timedelta(days=i)) for i in range(span)]
        month_in_full = cursor.day == 1 and all(k is DayKind.PAID for k in kinds)
        if not month_in_full and cursor.day == 1 and len(set(kinds)) > 1:
            split_month = True
        # A fully paid month needs enough entitlement to cover every calendar day of it; then it
        # consumes 30 days, or what is left if that is less (a short February never overdraws).
        if month_in_full and remaining >= 2 * min(DAYS_PER_MONTH, days_in_month(cursor)):
            used = min(2 * DAYS_PER_MONTH, remaining)
            if at_as_of is None and cursor <= as_of <= last:
                at_as_of = remaining - used * (as_of - cursor).days // span
            remaining -= used
            if remaining == 0:
                return Forecast(last, at_as_of, training_used, extension_date, split_month)
            cursor = last + ONE_DAY
            continue
        for offset, kind in enumerate(kinds):
            day = cursor + timedelta(days=offset)
            if day == as_of:
                at_as_of = remaining
            if kind is DayKind.PAID:
                remaining -= 2
            elif kind is DayKind.TRAINING and remaining - 1 >= 2 * training_floor_days(day, config):
                remaining -= 1
                training_used += 1
            if remaining <= 0:
                return Forecast(day, at_as_of, training_used, extension_date, split_month)
            if (
                day >= TRAINING_RULES_2023_DATE
                and extension_date is None
                and day in long_trainings
                and remaining < extension
            ):
                remaining = extension
                extension_date = day
        cursor = last + ONE_DAY
    return Forecast(None, at_as_of, training_used, extension_date, split_month)


@dataclass(frozen=True, slots=True)
class Alg1Result:
    """ALG I figures for one claim as of the evaluation day."""

    claim_start_date: date | None
    qualified: bool | None
    entitlement_days: int | None
    end_date: date | None
    remaining_days: int | None
    expired_date: date | None
    reasons: tuple[Reason, ...]
    warnings: tuple[Warning, ...]
    # Last day with ALG I under § 136 (2) SGB III (Regelaltersgrenze); None without a birth date.
    age_limit_date: date | None = None

    def running_on(self, day: date) -> bool:
        """Whether a claim exists on `day` (paid or resting); unknown end dates count as running."""
        if self.qualified is False or self.claim_start_date is None or day < self.claim_start_date:
            return False
        if self.end_date is None:
            return self.remaining_days != 0
        return day <= self.end_date


@dataclass(frozen=True, slots=True)
class Step(Generic[T]):
    """One rule's value with the reasons and warnings it gives."""

    value: T
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Warning, ...] = ()


@dataclass(frozen=True, slots=True)
class Qualification:
    """Outcome of §§ 142/143: whether the claim qualifies and its months under § 147 (2)/(3)."""

    qualified: bool | None
    months: int
    short_contract: bool


class Trail:
    """Collects the reasons and warnings of the steps in the order they ran."""

    def __init__(self) -> None:
        self.reasons: list[Reason] = []
        self.warnings: list[Warning] = []

    def take(self, step: Step[T]) -> T:
        """Keep the step's reasons and warnings; return its value."""
        self.reasons.extend(step.reasons)
        self.warnings.extend(step.warnings)
        return step.value


def age_at_claim(birth_date: date | None, start: date) -> Step[int | None]:
    """Age completed when the claim arises (§ 147 (1) Nr. 2 SGB III); None without a birth date."""
    if birth_date is not None:
        return Step(completed_years(birth_date, start))
    return Step(
        None,
        warnings=(
            Warning(
                code="ALG1_BIRTH_DATE_MISSING",
                text_de="Geburtsdatum fehlt: Anspruchsdauer ohne Altersstufen berechnet (höchstens "
                "12 Monate); ab 50 Jahren kann sie länger sein. Das Ende mit der "
                "Regelaltersgrenze (§ 136 Abs. 2 SGB III) ist nicht geprüft.",
                uncertain=True,
            ),
        ),
    )


def insured_months_60(m30: int | None, m60: int | None) -> Step[int | None]:
    """Insured months of the extended Rahmenfrist (§ 147 (1) Nr. 1), never fewer than in 30."""
    if m60 is None and m30 is not None:
        return Step(
            m30,
            warnings=(
                Warning(
                    code="ALG1_INSURED_MONTHS_60_MISSING",
                    text_de="Versicherungsmonate der erweiterten Rahmenfrist (60 Monate) fehlen: "
                    f"es werden die {m30} Monate der Rahmenfrist verwendet; die Dauer kann länger "
                    "sein.",
                    uncertain=True,
                ),
            ),
        )
    if m60 is not None and m30 is not None and m60 < m30:
        return Step(
            m30,
            warnings=(
                Warning(
                    code="ALG1_INSURED_MONTHS_INCONSISTENT",
                    text_de=f"{m60} Versicherungsmonate in 60 Monaten sind weniger als {m30} in 30 "
                    f"Monaten: es werden {m30} Monate verwendet.",
                ),
            ),
        )
    return Step(m60)


def qualification(
    alg1: Alg1Facts, m30: int | None, m60: int | None, age: int
) -> Step[Qualification | None]:
    """Anwartschaftszeit (§§ 142, 143) and the months it gives; None when nothing is known."""
    if m30 is None:
        missing = Warning(
            code="ALG1_INSURED_MONTHS_MISSING",
            text_de="Versicherungsmonate in der Rahmenfrist fehlen: die Anwartschaftszeit ist "
            "nicht geprüft.",
            uncertain=True,
        )
        if m60 is None:
            return Step(None, warnings=(missing,))
        return Step(Qualification(None, duration_months(m60, age), False), warnings=(missing,))
    if m30 >= QUALIFYING_MONTHS:
        met = Reason(
            code="ALG1_QUALIFYING_PERIOD_MET",
            text_de=f"Anwartschaftszeit erfüllt: {m30} Monate Versicherungspflicht in der "
            f"Rahmenfrist von 30 Monaten (mindestens {QUALIFYING_MONTHS} nötig).",
            legal_ref="§§ 142 Abs. 1, 143 SGB III",
        )
        months = duration_months(m60 if m60 is not None else m30, age)
        return Step(Qualification(True, months, False), reasons=(met,))
    if alg1.short_contract and m30 >= SHORT_CONTRACT_MIN_MONTHS:
        months = short_contract_months(m30)
        short = Reason(
            code="ALG1_SHORT_CONTRACT",
            text_de=f"Verkürzte Anwartschaftszeit für überwiegend kurz befristet Beschäftigte: "
            f"{m30} Versicherungsmonate ergeben {months} Monate ({months * DAYS_PER_MONTH} "
            f"Tage) Anspruchsdauer, unabhängig vom Alter.",
            legal_ref="§ 142 Abs. 2, § 147 Abs. 3 SGB III",
        )
        assumed = Warning(
            code="ALG1_SHORT_CONTRACT_CONDITIONS_ASSUMED",
            text_de="Voraussetzungen des § 142 Abs. 2 SGB III (überwiegend auf höchstens 14 "
            "Wochen befristete Beschäftigungen, Entgelt höchstens das 1,5-fache der Bezugsgröße) "
            "wurden ungeprüft übernommen.",
            uncertain=True,
        )
        return Step(Qualification(True, months, True), reasons=(short,), warnings=(assumed,))
    missed = Reason(
        code="ALG1_NO_QUALIFYING_PERIOD",
        text_de=f"Kein Anspruch auf Arbeitslosengeld: nur {m30} Monate Versicherungspflicht in der "
        f"Rahmenfrist von 30 Monaten (mindestens {QUALIFYING_MONTHS} nötig).",
        legal_ref="§§ 142, 143 SGB III",
    )
    return Step(Qualification(False, 0, False), reasons=(missed,))


def duration_reason(months: int, m60: int | None, age: int | None, start: date) -> Reason:
    """The § 147 (1)/(2) reason for a duration found in the table."""
    age_text = f"Alter {age} bei Entstehung des Anspruchs" if age is not None else "Alter unbekannt"
    return Reason(
        code="ALG1_ENTITLEMENT_DURATION",
        text_de=f"Anspruchsdauer {months} Monate ({months * DAYS_PER_MONTH} Tage): {m60} "
        f"Versicherungsmonate in der um 30 Monate erweiterten Rahmenfrist, {age_text} am "
        f"{fmt(start)}.",
        legal_ref="§ 147 Abs. 1 und 2 SGB III",
    )


def remaining_entitlement(
    prev: PreviousClaim | None, start: date, age: int, duration_days: int
) -> Step[int]:
    """Duration in days after adding the rest of an expired claim (§ 147 (4) SGB III)."""
    if prev is None or prev.remaining_days <= 0:
        return Step(duration_days)
    cap_days = age_maximum_months(age) * DAYS_PER_MONTH
    # The arising of a claim is an event (§ 26 (1) SGB X, § 187 (1) BGB): the five years start
    # the next day and end with the day of the same date (§ 188 (2) BGB), as for § 161 (2).
    last_day = add_months(prev.start_date, 12 * RESTANSPRUCH_YEARS)
    if start > last_day:
        lapsed = Reason(
            code="ALG1_REMAINING_ENTITLEMENT_LAPSED",
            text_de=f"Der Restanspruch aus dem Anspruch vom {fmt(prev.start_date)} wird nicht "
            f"angerechnet: bei Entstehung des neuen Anspruchs am {fmt(start)} sind 5 Jahre "
            f"verstrichen.",
            legal_ref="§ 147 Abs. 4 SGB III",
        )
        return Step(duration_days, reasons=(lapsed,))
    added = max(0, min(prev.remaining_days, cap_days - duration_days))
    total = duration_days + added
    reason = Reason(
        code="ALG1_REMAINING_ENTITLEMENT_ADDED",
        text_de=f"Restanspruch aus dem Anspruch vom {fmt(prev.start_date)} (weniger als 5 Jahre "
        f"zurück): {prev.remaining_days} Tage, davon {added} Tage angerechnet (Höchstdauer für "
        f"das Alter {cap_days} Tage); Anspruchsdauer jetzt {total} Tage.",
        legal_ref="§ 147 Abs. 4 SGB III",
    )
    if start < last_day:
        return Step(total, reasons=(reason,))
    boundary = Warning(
        code="ALG1_REMAINING_ENTITLEMENT_BOUNDARY_UNSURE",
        text_de=f"Der neue Anspruch entsteht am letzten Tag der Fünfjahresfrist ({fmt(last_day)}): "
        "angerechnet nach §§ 187 Abs. 1, 188 Abs. 2 BGB (Frist beginnt am Tag nach der Entstehung "
        "des erloschenen Anspruchs); die BA-Weisung dazu ist nicht geprüft.",
        uncertain=True,
    )
    return Step(total, reasons=(reason,), warnings=(boundary,))


def partial_alg_reduction(partial_days: int) -> Step[int]:
    """One day less per two days of Teilarbeitslosengeld in the last two years (§ 148 (1) Nr. 2)."""
    if partial_days <= 0:
        return Step(0)
    days = partial_days // 2
    reason = Reason(
        code="ALG1_REDUCTION_PARTIAL_ALG",
        text_de=f"{partial_days} Tage Teilarbeitslosengeld in den letzten zwei Jahren mindern den "
        f"Anspruch um {days} Tage (ein Tag je zwei Tage).",
        legal_ref="§ 148 Abs. 1 Nr. 2 SGB III",
    )
    return Step(days, reasons=(reason,))


def sperrzeit_reductions(
    sperrzeiten: tuple[Sperrzeit, ...], claim_start: date, duration_days: int
) -> Step[int]:
    """Days the Sperrzeiten take off the claim (§ 148 (1) Nr. 3/4, (2) S. 2 SGB III)."""
    total = 0
    reasons: list[Reason] = []
    warnings: list[Warning] = []
    one_year_before = add_months(claim_start, -12)
    for sz in sorted(sperrzeiten, key=lambda s: (s.start_date, s.kind)):
        event_date = sz.start_date - ONE_DAY
        label = _SPERRZEIT_TEXT[sz.kind]
        if sz.kind in _LAPSING_KINDS and event_date < one_year_before:
            reasons.append(
                Reason(
                    code="ALG1_REDUCTION_LAPSED",
                    text_de=f"Die Sperrzeit wegen {label} ab {fmt(sz.start_date)} mindert den "
                    f"Anspruch nicht, weil das Ereignis am {fmt(event_date)} bei Entstehung des "
                    f"Anspruchs am {fmt(claim_start)} länger als ein Jahr zurückliegt.",
                    legal_ref="§ 148 Abs. 2 S. 2 SGB III",
                )
            )
            if sz.kind is SperrzeitKind.MEASURE:
                warnings.append(
                    Warning(
                        code="ALG1_MEASURE_LAPSE_UNSURE",
                        text_de=f"Die Sperrzeit ab {fmt(sz.start_date)} entfällt nach einem Jahr "
                        "nur bei Abbruch einer Maßnahme; nach Ablehnung einer Maßnahme mindert "
                        "sie den Anspruch weiter (§ 148 Abs. 2 S. 2 SGB III). Ob abgebrochen "
                        "oder abgelehnt wurde, ist nicht erfasst.",
                        uncertain=True,
                    )
                )
            continue
        if sz.kind is SperrzeitKind.QUIT_JOB:
            days = quit_job_reduction_days(sz.days, duration_days)
            code = "ALG1_REDUCTION_QUIT_JOB"
            extra = f" (mindestens ein Viertel von {duration_days} Tagen)" if days > sz.days else ""
        else:
            days = sz.days
            code = "ALG1_REDUCTION_SPERRZEIT"
            extra = ""
        total += days
        reasons.append(
            Reason(
                code=code,
                text_de=f"Sperrzeit wegen {label} ab {fmt(sz.start_date)} ({sz.days} Tage): der "
                f"Anspruch mindert sich um {days} Tage{extra}; während der Sperrzeit ruht er.",
                legal_ref=f"{_REDUCTION_REFS[sz.kind]}, § 159 SGB III",
            )
        )
    return Step(total, reasons=tuple(reasons), warnings=tuple(warnings))


def sperrzeit_expiry(
    sperrzeiten: tuple[Sperrzeit, ...], claim_start: date, config: RuleConfig
) -> Step[date | None]:
    """Day the claim expires after Sperrzeiten of ≥ 21 weeks (§ 161 (1) Nr. 2), if it does."""
    # Sperrzeiten of the 12 months before the claim count; the claim expires with an event after
    # the claim arose.
    window_start = add_months(claim_start, -12)
    threshold = 7 * config.sperrzeit_expiry_weeks
    total = 0
    expired: date | None = None
    for sz in sorted(sperrzeiten, key=lambda s: s.start_date):
        if sz.start_date < window_start:
            continue
        total += sz.days
        if total >= threshold and sz.start_date > claim_start:
            expired = sz.start_date - ONE_DAY
            break
    if expired is None:
        return Step(None)
    reason = Reason(
        code="ALG1_EXPIRED_SPERRZEITEN",
        text_de=f"Der Anspruch ist am {fmt(expired)} erloschen: Sperrzeiten von insgesamt "
        f"{total} Tagen (mindestens {config.sperrzeit_expiry_weeks} Wochen).",
        legal_ref="§ 161 Abs. 1 Nr. 2 SGB III",
    )
    warning = Warning(
        code="ALG1_SPERRZEIT_EXPIRY_UNSURE",
        text_de=f"Erlöschen nach Sperrzeiten von {config.sperrzeit_expiry_weeks} Wochen ist nicht "
        f"abschließend geprüft (Grenze und schriftliche Rechtsfolgenbelehrung prüfen).",
        uncertain=True,
    )
    return Step(expired, reasons=(reason,), warnings=(warning,))


def timeline_of(alg1: Alg1Facts) -> Timeline:
    """Sperrzeiten and Ruhen rest the claim (§§ 156-159); training halves its use."""
    resting = [(s.start_date, s.start_date + timedelta(days=s.days - 1)) for s in alg1.sperrzeiten]
    resting += [(s.start_date, s.start_date + timedelta(days=s.days - 1)) for s in alg1.suspensions]
    return Timeline(
        resting=tuple(r for r in resting if r[1] >= r[0]),
        training=tuple((t.start_date, t.end_date) for t in alg1.training_periods),
    )


def walk_origin(
    paid_days: int | None, start: date, entitlement: int, as_of: date
) -> Step[tuple[date, int]]:
    """Where the forecast starts and with how many days: the claim start, or the evaluation day
    once the days already paid are known (§ 148 (1) Nr. 1 SGB III)."""
    if paid_days is None:
        if as_of <= start:
            return Step((start, entitlement))
        forecast = Warning(
            code="ALG1_PAID_DAYS_MISSING",
            text_de="Erfüllte Tage (§ 148 Abs. 1 Nr. 1 SGB III) fehlen: angenommen wird ein "
            "Bezug an jedem Tag seit Beginn, außer in den angegebenen Ruhens- und Sperrzeiten.",
        )
        return Step((start, entitlement), warnings=(forecast,))
    if as_of < start:
        ignored = Warning(
            code="ALG1_PAID_DAYS_IGNORED",
            text_de="Erfüllte Tage wurden vor Beginn des Anspruchs angegeben und nicht "
            "berücksichtigt.",
        )
        return Step((start, entitlement), warnings=(ignored,))
    left = max(0, entitlement - paid_days)
    reason = Reason(
        code="ALG1_PAID_DAYS",
        text_de=f"Bis zum {fmt(as_of)} sind {paid_days} Tage erfüllt; es verbleiben {left} Tage.",
        legal_ref="§ 148 Abs. 1 Nr. 1 SGB III",
    )
    return Step((as_of, left), reasons=(reason,))


def suspension_reasons(suspensions: tuple[Suspension, ...]) -> Step[None]:
    """Ruhen shifts the end and does not reduce the claim (§§ 156-158 SGB III)."""
    return Step(
        None,
        reasons=tuple(
            Reason(
                code="ALG1_SUSPENSION",
                text_de=f"Ruhen ab {fmt(s.start_date)} für {s.days} Tage ({s.cause.value}): das "
                f"Ende verschiebt sich, der Anspruch mindert sich nicht.",
                legal_ref="§§ 156-158 SGB III",
            )
            for s in suspensions
        ),
    )


def training_reasons(alg1: Alg1Facts, fc: Forecast, config: RuleConfig) -> Step[None]:
    """Reduction by further training (§ 148 (1) Nr. 7) and the one-time extension (§ 148 (3))."""
    reasons: list[Reason] = []
    warnings: list[Warning] = []
    if alg1.training_periods:
        floors = sorted(
            {
                training_floor_days(day, config)
                for t in alg1.training_periods
                for day in (t.start_date, t.end_date)
            }
        )
        floor_text = " bzw. ".join(str(f) for f in floors)
        reasons.append(
            Reason(
                code="ALG1_REDUCTION_TRAINING",
                text_de="Arbeitslosengeld bei Weiterbildung: je zwei Tage mindern um einen Tag, "
                f"insgesamt {fc.training_half_days // 2} Tage; ein Restanspruch von "
                f"{floor_text} Tagen bleibt erhalten (bis 30.06.2023 ein Monat, seitdem drei "
                "Monate).",
                legal_ref="§ 148 Abs. 1 Nr. 7, Abs. 2 S. 3 SGB III",
            )
        )
        warnings.append(
            Warning(
                code="ALG1_TRAINING_REDUCTION_UNSURE",
                text_de=f"Minderung bei Weiterbildung (½ Tag je Tag, nie unter {floor_text} "
                "Tagen Rest): Stichtag 01.07.2023 der Änderung durch das Bürgergeld-Gesetz und "
                "die tageweise Anrechnung sind nicht mit der BA-Weisung abgeglichen.",
                uncertain=True,
            )
        )
    if fc.extension_date is not None:
        reasons.append(
            Reason(
                code="ALG1_TRAINING_EXTENSION",
                text_de=f"Nach mindestens {config.training_extension_min_months} Monaten "
                f"Weiterbildung (Ende {fmt(fc.extension_date)}) wird der Restanspruch auf "
                f"{config.training_extension_days} Tage verlängert.",
                legal_ref="§ 148 Abs. 3 SGB III",
            )
        )
    return Step(None, reasons=tuple(reasons), warnings=tuple(warnings))


def age_limit(birth_date: date | None, start: date) -> Step[date | None]:
    """Last day with ALG I under § 136 (2) SGB III; the claim does not arise after it."""
    if birth_date is None:
        return Step(None)
    limit = alg1_age_limit_date(birth_date)
    if start <= limit:
        return Step(limit)
    reached = Reason(
        code="ALG1_AGE_LIMIT_REACHED",
        text_de=f"Kein Anspruch auf Arbeitslosengeld ab dem {fmt(start)}: die Regelaltersgrenze "
        f"({_years_months(regelaltersgrenze_months(birth_date.year))}) ist im Monat bis zum "
        f"{fmt(limit)} erreicht; ab dem Folgemonat besteht kein Anspruch.",
        legal_ref="§ 136 Abs. 2 SGB III, § 235 Abs. 2 SGB VI",
    )
    return Step(limit, reasons=(reached,), warnings=_trust_protection(birth_date))


def _years_months(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years} Jahre" + (f" und {rest} Monate" if rest else "")


def _trust_protection(birth_date: date) -> tuple[Warning, ...]:
    # § 235 (2) S. 3 SGB VI keeps 65 years for some born 1947-1954 (Altersteilzeit agreed before
    # 2007, Anpassungsgeld); the facts cannot say so.
    if not 1947 <= birth_date.year <= 1954:
        return ()
    return (
        Warning(
            code="ALG1_AGE_LIMIT_TRUST_PROTECTION_UNSURE",
            text_de="Geburtsjahr 1947-1954: bei Altersteilzeit vor 2007 oder Anpassungsgeld gilt "
            "nach § 235 Abs. 2 S. 3 SGB VI die Regelaltersgrenze von 65 Jahren (nicht geprüft).",
            uncertain=True,
        ),
    )


def lifetime_cut(end_date: date | None, start: date) -> Step[date | None]:
    """§ 161 (2) SGB III: no claim four years after it arose; Ruhen does not move the period."""
    # The arising is an event (§ 187 (1) BGB): the period ends with the day of the same date.
    lifetime_end = add_months(start, CLAIM_LIFETIME_MONTHS)
    if end_date is not None and end_date <= lifetime_end:
        return Step(end_date)
    reason = Reason(
        code="ALG1_CLAIM_LIFETIME_ENDED",
        text_de=f"Der Anspruch vom {fmt(start)} kann nach dem {fmt(lifetime_end)} nicht "
        "mehr geltend gemacht werden: seit seiner Entstehung sind vier Jahre verstrichen; "
        "Ruhen verschiebt die Frist nicht.",
        legal_ref="§ 161 Abs. 2 SGB III",
    )
    return Step(lifetime_end, reasons=(reason,))


def age_limit_cut(
    end_date: date | None, limit: date | None, birth_date: date | None
) -> Step[date | None]:
    """§ 136 (2) SGB III: the claim ends with the month of the Regelaltersgrenze."""
    if limit is None or birth_date is None or (end_date is not None and end_date <= limit):
        return Step(end_date)
    reason = Reason(
        code="ALG1_AGE_LIMIT",
        text_de=f"Arbeitslosengeld längstens bis zum {fmt(limit)}: in diesem Monat "
        f"wird die Regelaltersgrenze "
        f"({_years_months(regelaltersgrenze_months(birth_date.year))}) erreicht; "
        "ab dem Folgemonat besteht kein Anspruch, der Restanspruch verfällt.",
        legal_ref="§ 136 Abs. 2 SGB III, § 235 Abs. 2 SGB VI",
    )
    return Step(limit, reasons=(reason,), warnings=_trust_protection(birth_date))


def end_date_of(
    fc: Forecast,
    walk_days: int,
    expired: date | None,
    entitlement: int,
    start: date,
    limit: date | None,
    birth_date: date | None,
) -> Step[date | None]:
    """Last day with ALG I: the forecast end, cut by a § 161 expiry or the § 136 (2) age limit."""
    trail = Trail()
    end_date = fc.end_date
    # A claim reduced to zero days has no end date: no cut may give it one, since it would
    # outlast a claim with days left.
    if walk_days > 0:
        if expired is not None and (end_date is None or expired < end_date):
            end_date = expired
        end_date = trail.take(lifetime_cut(end_date, start))
        end_date = trail.take(age_limit_cut(end_date, limit, birth_date))
    if end_date is None and walk_days > 0:
        trail.warnings.append(
            Warning(
                code="ALG1_END_DATE_UNKNOWN",
                text_de="Das Ende des Arbeitslosengeldes ist nicht berechenbar.",
            )
        )
    elif end_date is not None:
        trail.reasons.append(
            Reason(
                code="ALG1_END_DATE",
                text_de=f"Voraussichtlich letzter Tag mit Arbeitslosengeld: {fmt(end_date)} "
                f"({entitlement} Tage ab {fmt(start)}; ein voller Kalendermonat zählt 30 Tage).",
                legal_ref="§§ 148, 154 SGB III",
            )
        )
    if fc.split_month and end_date is not None:
        trail.warnings.append(
            Warning(
                code="ALG1_PARTIAL_MONTH_UNSURE",
                text_de="Teilmonate (Beginn in der Monatsmitte, Ruhen oder Weiterbildung im Monat) "
                "sind kalendertäglich gezählt, volle Monate mit 30 Tagen; der BA-Algorithmus ist "
                "ungeprüft, das Ende kann um einige Tage abweichen.",
                uncertain=True,
            )
        )
    return Step(end_date, tuple(trail.reasons), tuple(trail.warnings))


def remaining_on(as_of: date, end_date: date | None, fc: Forecast) -> int | None:
    """Days of the claim left at the start of `as_of`; 0 once it has ended."""
    if end_date is not None and as_of > end_date:
        return 0
    if fc.remaining_half_days_at is not None:
        return max(0, fc.remaining_half_days_at) // 2
    return None


def compute_alg1(
    alg1: Alg1Facts,
    birth_date: date | None,
    as_of: date,
    ruleset: RuleSet,
    config: RuleConfig,
) -> Alg1Result:
    """Compute qualifying period, entitlement, forecast end and remaining days of an ALG I claim.

    `ruleset` is the version in force on `as_of`; the ALG I rules that changed within a version
    (§ 148 (2) S. 3 and (3) SGB III from 1 Jul 2023) are dated by the day they apply to.
    """
    start = alg1.claim_start_date
    if start is None:
        missing = Warning(
            code="ALG1_CLAIM_START_MISSING",
            text_de="Beginn des Arbeitslosengeld-Anspruchs fehlt: Dauer und Ende sind nicht "
            "berechnet.",
        )
        return Alg1Result(None, None, None, None, None, None, (), (missing,))
    trail = Trail()
    age = trail.take(age_at_claim(birth_date, start))
    age_for_rules = age if age is not None else 0
    limit = trail.take(age_limit(birth_date, start))
    if limit is not None and start > limit:
        return Alg1Result(
            start, False, 0, None, 0, None, tuple(trail.reasons), tuple(trail.warnings), limit
        )
    m30 = alg1.insured_months_30
    m60 = trail.take(insured_months_60(m30, alg1.insured_months_60))
    qual = trail.take(qualification(alg1, m30, m60, age_for_rules))
    if qual is None:
        return Alg1Result(start, None, None, None, None, None, (), tuple(trail.warnings))
    if qual.qualified is False:
        return Alg1Result(
            start, False, 0, None, None, None, tuple(trail.reasons), tuple(trail.warnings), limit
        )
    if not qual.short_contract:
        trail.reasons.append(duration_reason(qual.months, m60, age, start))
    duration_days = trail.take(
        remaining_entitlement(
            alg1.previous_claim, start, age_for_rules, qual.months * DAYS_PER_MONTH
        )
    )
    reduction = trail.take(partial_alg_reduction(alg1.partial_alg_days_last_2y))
    reduction += trail.take(sperrzeit_reductions(alg1.sperrzeiten, start, duration_days))
    entitlement = max(0, duration_days - reduction)
    expired = trail.take(sperrzeit_expiry(alg1.sperrzeiten, start, config))
    walk_start, walk_days = trail.take(walk_origin(alg1.paid_days, start, entitlement, as_of))
    fc = forecast(walk_start, walk_days, timeline_of(alg1), as_of, config)
    trail.take(suspension_reasons(alg1.suspensions))
    trail.take(training_reasons(alg1, fc, config))
    end_date = trail.take(
        end_date_of(fc, walk_days, expired, entitlement, start, limit, birth_date)
    )
    return Alg1Result(
        start,
        qual.qualified,
        entitlement,
        end_date,
        remaining_on(as_of, end_date, fc),
        expired,
        tuple(trail.reasons),
        tuple(trail.warnings),
        limit,
    )
