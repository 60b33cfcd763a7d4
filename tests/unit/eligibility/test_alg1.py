"""ALG I rules: §§ 142/143, § 147 table, § 147 (4), § 148 reductions, Ruhen, § 161, end dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from eligibility_api.domain.alg1 import (
    Alg1Result,
    compute_alg1,
    duration_months,
    quit_job_reduction_days,
    short_contract_months,
)
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.facts import (
    Alg1Facts,
    PreviousClaim,
    Sperrzeit,
    SperrzeitKind,
    Suspension,
    SuspensionCause,
    TrainingPeriod,
)
from eligibility_api.domain.rulesets import ruleset_for

BORN_1995 = date(1995, 7, 10)  # under 50 on every claim date used here


def run(
    alg1: Alg1Facts, birth_date: date | None = BORN_1995, as_of: date | None = None
) -> Alg1Result:
    day = as_of or alg1.claim_start_date or date(2025, 1, 1)
    return compute_alg1(alg1, birth_date, day, ruleset_for(day), RuleConfig())


def codes(result: Alg1Result) -> set[str]:
    return {r.code for r in result.reasons} | {w.code for w in result.warnings}


class TestDurationTable:
    @pytest.mark.parametrize(
        ("insured", "age", "months"),
        [
            pytest.param(11, 30, 0, id="11m-below-qualifying"),
            pytest.param(12, 30, 6, id="12m-6"),
            pytest.param(15, 49, 6, id="15m-still-6"),
            pytest.param(16, 30, 8, id="16m-8"),
            pytest.param(20, 30, 10, id="20m-10"),
            pytest.param(24, 30, 12, id="24m-12"),
            pytest.param(30, 49, 12, id="30m-age49-capped-12"),
            pytest.param(30, 50, 15, id="30m-age50-15"),
            pytest.param(36, 54, 15, id="36m-age54-15"),
            pytest.param(36, 55, 18, id="36m-age55-18"),
            pytest.param(48, 57, 18, id="48m-age57-18"),
            pytest.param(47, 58, 18, id="47m-age58-18"),
            pytest.param(48, 58, 24, id="48m-age58-24"),
            pytest.param(60, 64, 24, id="60m-age64-max-24"),
        ],
    )
    def test_highest_satisfied_row_wins(self, insured: int, age: int, months: int) -> None:
        assert duration_months(insured, age) == months

    @pytest.mark.parametrize(
        ("insured", "months"),
        [
            pytest.param(5, 0, id="5m-none"),
            pytest.param(6, 3, id="6m-3"),
            pytest.param(7, 3, id="7m-3"),
            pytest.param(8, 4, id="8m-4"),
            pytest.param(10, 5, id="10m-5"),
            pytest.param(11, 5, id="11m-5"),
        ],
    )
    def test_short_contract_table(self, insured: int, months: int) -> None:
        assert short_contract_months(insured) == months


class TestAgeAtClaimStart:
    @pytest.mark.parametrize(
        ("birth", "claim", "days", "end"),
        [
            # 50th birthday on the claim date: 50 completed at the end of the day before
            pytest.param(
                date(1975, 2, 1), date(2025, 2, 1), 450, date(2026, 4, 30), id="50-on-day"
            ),
            pytest.param(
                date(1975, 2, 2), date(2025, 2, 1), 360, date(2026, 1, 31), id="50-next-day"
            ),
            # born 29 Feb 1976: 50 completed at the end of 28 Feb 2026 (non-leap year)
            pytest.param(
                date(1976, 2, 29), date(2026, 3, 1), 450, date(2027, 5, 31), id="leap-born-mar1"
            ),
            # 360 days from 28 Feb: 1 day in Feb, Mar-Jan = 330, 29 left cover all of Feb 2027
            pytest.param(
                date(1976, 2, 29), date(2026, 2, 28), 360, date(2027, 2, 28), id="leap-born-feb28"
            ),
            # 1 day in Feb, Mar 2025-Apr 2026 = 420, 29 days of May 2026
            pytest.param(
                date(1975, 2, 28), date(2025, 2, 28), 450, date(2026, 5, 29), id="50-on-month-end"
            ),
            # 1 day in Feb, Mar-Jan = 330, 29 left cover all of Feb 2026
            pytest.param(
                date(1975, 3, 1), date(2025, 2, 28), 360, date(2026, 2, 28), id="49-until-mar1"
            ),
        ],
    )
    def test_age_completed_at_claim_start_decides(
        self, birth: date, claim: date, days: int, end: date
    ) -> None:
        result = run(Alg1Facts(claim, 30, 30), birth_date=birth)
        assert (result.entitlement_days, result.end_date) == (days, end)


class TestEndDate:
    @pytest.mark.parametrize(
        ("claim", "insured", "end", "partial_warning"),
        [
            pytest.param(date(2025, 1, 1), 24, date(2025, 12, 31), False, id="12m-from-1-jan"),
            pytest.param(date(2024, 2, 1), 12, date(2024, 7, 31), False, id="leap-feb-full-month"),
            # 17 days of Jan, 11 full months (330), 13 days of Jan 2026
            pytest.param(date(2025, 1, 15), 24, date(2026, 1, 13), True, id="mid-month-start"),
            # 1 day (29 Feb), Mar-Jul 150, 29 days of August
            pytest.param(date(2024, 2, 29), 12, date(2024, 8, 29), True, id="start-leap-day"),
            pytest.param(date(2025, 1, 31), 12, date(2025, 7, 29), True, id="start-31st"),
            pytest.param(date(2025, 4, 30), 12, date(2025, 10, 29), True, id="start-30th"),
            # the 6th month is February 2026: 30 days left pay the whole month
            pytest.param(date(2025, 9, 1), 12, date(2026, 2, 28), False, id="ends-in-february"),
        ],
    )
    def test_forecast_end(
        self, claim: date, insured: int, end: date, partial_warning: bool
    ) -> None:
        result = run(Alg1Facts(claim, insured, insured))
        assert result.end_date == end
        assert ("ALG1_PARTIAL_MONTH_UNSURE" in codes(result)) is partial_warning

    @pytest.mark.parametrize(
        ("as_of", "remaining"),
        [
            pytest.param(date(2025, 1, 20), 450, id="before-claim"),
            pytest.param(date(2025, 2, 1), 450, id="first-day"),
            # 14 of 28 February days elapsed = half of 30
            pytest.param(date(2025, 2, 15), 435, id="mid-february"),
            pytest.param(date(2025, 3, 1), 420, id="after-one-month"),
            pytest.param(date(2026, 4, 1), 30, id="last-month"),
            pytest.param(date(2026, 5, 1), 0, id="after-end"),
        ],
    )
    def test_remaining_days_example_1(self, as_of: date, remaining: int) -> None:
        result = run(Alg1Facts(date(2025, 2, 1), 30, 30), date(1970, 6, 1), as_of)
        assert result.remaining_days == remaining

    def test_paid_days_restart_forecast_on_evaluation_day(self) -> None:
        facts = Alg1Facts(date(2025, 2, 1), 30, 30, paid_days=100)
        result = run(facts, date(1970, 6, 1), date(2025, 6, 1))
        # 350 left from 1 Jun 2025: Jun-Apr = 330, 20 days of May 2026
        assert (result.remaining_days, result.end_date) == (350, date(2026, 5, 20))


class TestRemainingEntitlement:
    @pytest.mark.parametrize(
        ("birth", "insured", "claim", "prev_start", "prev_days", "days"),
        [
            pytest.param(
                BORN_1995, 12, date(2025, 2, 28), date(2020, 3, 1), 100, 280, id="4y-364d-added"
            ),
            # § 187 (1), § 188 (2) BGB: the five years end with 1 Mar 2025, the day of the same date
            pytest.param(
                BORN_1995, 12, date(2025, 3, 1), date(2020, 3, 1), 100, 280, id="5y-last-day"
            ),
            pytest.param(
                BORN_1995, 12, date(2025, 3, 2), date(2020, 3, 1), 100, 180, id="5y-elapsed"
            ),
            pytest.param(
                BORN_1995, 24, date(2025, 3, 1), date(2022, 3, 1), 200, 360, id="capped-360-u50"
            ),
            pytest.param(
                date(1973, 1, 1), 24, date(2025, 3, 1), date(2022, 3, 1), 120, 450, id="cap-450-52y"
            ),
            pytest.param(
                date(1967, 1, 1), 36, date(2025, 3, 1), date(2022, 3, 1), 150, 690, id="58y-540+150"
            ),
        ],
    )
    def test_147_4(
        self,
        birth: date,
        insured: int,
        claim: date,
        prev_start: date,
        prev_days: int,
        days: int,
    ) -> None:
        """§ 147 (4) SGB III: the rest of a claim that arose less than five years before is
        added, up to the maximum for the age."""
        facts = Alg1Facts(
            claim, insured, insured, previous_claim=PreviousClaim(prev_start, prev_days)
        )
        assert run(facts, birth).entitlement_days == days


class TestReductions:
    def test_partial_alg_counts_half_rounded_down(self) -> None:
        result = run(Alg1Facts(date(2025, 1, 1), 12, 12, partial_alg_days_last_2y=31))
        assert result.entitlement_days == 180 - 15

    @pytest.mark.parametrize(
        ("days", "duration", "reduction"),
        [
            pytest.param(84, 360, 90, id="12w-quarter-of-360"),
            pytest.param(84, 450, 113, id="12w-quarter-of-450-rounded-up"),
            pytest.param(84, 180, 84, id="12w-days-exceed-quarter"),
            pytest.param(42, 360, 42, id="6w-no-quarter-rule"),
            pytest.param(21, 720, 21, id="3w-no-quarter-rule"),
        ],
    )
    def test_quit_job_quarter(self, days: int, duration: int, reduction: int) -> None:
        assert quit_job_reduction_days(days, duration) == reduction

    def test_quit_job_sperrzeit_reduces_and_shifts(self) -> None:
        sz = Sperrzeit(SperrzeitKind.QUIT_JOB, date(2025, 1, 1), 84)
        result = run(Alg1Facts(date(2025, 1, 1), 24, 24, sperrzeiten=(sz,)))
        # 360 - 90 = 270; resting 1 Jan - 25 Mar, 6 paid days in March, Apr-Nov 240, 24 in Dec
        assert (result.entitlement_days, result.end_date) == (270, date(2025, 12, 24))
        assert "ALG1_REDUCTION_QUIT_JOB" in codes(result)

    def test_refusal_sperrzeit_during_claim(self) -> None:
        sz = Sperrzeit(SperrzeitKind.REFUSAL, date(2025, 5, 1), 21)
        result = run(Alg1Facts(date(2025, 1, 1), 24, 24, sperrzeiten=(sz,)))
        # 339 days: Jan-Apr 120, 10 paid May days, Jun-Nov 180, 29 days of December
        assert (result.entitlement_days, result.end_date) == (339, date(2025, 12, 29))

    @pytest.mark.parametrize(
        ("kind", "sz_start", "days"),
        [
            # event 31 May 2024 is more than one year before the claim of 1 Jun 2025
            pytest.param(SperrzeitKind.QUIT_JOB, date(2024, 6, 1), 360, id="quit-lapsed"),
            pytest.param(SperrzeitKind.QUIT_JOB, date(2024, 6, 2), 270, id="quit-exactly-1y"),
            pytest.param(SperrzeitKind.MEASURE, date(2024, 5, 1), 360, id="measure-lapsed"),
            pytest.param(SperrzeitKind.REFUSAL, date(2024, 5, 1), 339, id="refusal-never-lapses"),
        ],
    )
    def test_lapse_after_one_year(self, kind: SperrzeitKind, sz_start: date, days: int) -> None:
        length = 84 if kind is SperrzeitKind.QUIT_JOB else 21
        sz = Sperrzeit(kind, sz_start, length)
        result = run(Alg1Facts(date(2025, 6, 1), 24, 24, sperrzeiten=(sz,)))
        assert result.entitlement_days == days


class TestExpiry:
    @pytest.mark.parametrize(
        ("second_days", "expired"),
        [
            pytest.param(63, date(2025, 6, 30), id="147-days-expires"),
            pytest.param(62, None, id="146-days-stays"),
        ],
    )
    def test_161_after_21_weeks(self, second_days: int, expired: date | None) -> None:
        sperrzeiten = (
            Sperrzeit(SperrzeitKind.REFUSAL, date(2025, 3, 1), 84),
            Sperrzeit(SperrzeitKind.REFUSAL, date(2025, 7, 1), second_days),
        )
        result = run(Alg1Facts(date(2025, 1, 1), 24, 24, sperrzeiten=sperrzeiten))
        assert result.expired_date == expired
        assert ("ALG1_SPERRZEIT_EXPIRY_UNSURE" in codes(result)) is (expired is not None)
        if expired is not None:
            assert result.end_date == expired
            assert not result.running_on(date(2025, 7, 1))

    def test_a_claim_reduced_to_zero_days_gets_no_end_from_the_expiry(self) -> None:
        # § 148 (1) SGB III with § 161 (1) Nr. 2: 24 days of Teilarbeitslosengeld (12 days) and
        # two Sperrzeiten wegen Arbeitsaufgabe of 12 weeks each reduce a 180-day claim to
        # nothing and make it expire; a longer claim with the same facts keeps 60 days, all
        # paid before the expiry, so it must not end before the zero-day claim.
        sperrzeiten = (
            Sperrzeit(SperrzeitKind.QUIT_JOB, date(2020, 1, 1), 84),
            Sperrzeit(SperrzeitKind.QUIT_JOB, date(2020, 5, 25), 84),
        )
        facts = Alg1Facts(
            date(2020, 1, 1), 12, 12, partial_alg_days_last_2y=24, sperrzeiten=sperrzeiten
        )
        nothing = run(facts)
        some = run(replace(facts, insured_months_30=16, insured_months_60=16))
        assert (nothing.entitlement_days, nothing.end_date) == (0, None)
        assert nothing.expired_date == date(2020, 5, 24)
        assert (some.entitlement_days, some.end_date) == (60, date(2020, 5, 23))


class TestSuspensionAndTraining:
    def test_ruhen_shifts_without_reducing(self) -> None:
        ruhen = Suspension(date(2025, 1, 1), 31, SuspensionCause.SEVERANCE)
        result = run(Alg1Facts(date(2025, 1, 1), 24, 24, suspensions=(ruhen,)))
        assert (result.entitlement_days, result.end_date) == (360, date(2026, 1, 31))

    def test_training_consumes_half_days(self) -> None:
        training = TrainingPeriod(date(2025, 2, 1), date(2025, 7, 31))
        result = run(Alg1Facts(date(2025, 1, 1), 24, 24, training_periods=(training,)))
        # Jan 30; 181 training days = 90.5; 239.5 left: Aug-Feb 210, 29.5 → 30 March days
        assert result.end_date == date(2026, 3, 30)
        assert "ALG1_TRAINING_REDUCTION_UNSURE" in codes(result)

    def test_training_never_below_three_months(self) -> None:
        training = TrainingPeriod(date(2025, 2, 1), date(2025, 12, 31))
        result = run(Alg1Facts(date(2025, 1, 1), 12, 12, training_periods=(training,)))
        # 150 left after Jan; training stops reducing at 90; Jan-Mar 2026
        assert result.end_date == date(2026, 3, 31)

    @pytest.mark.parametrize(
        ("training_end", "end", "extended"),
        [
            pytest.param(date(2025, 10, 31), date(2026, 1, 31), True, id="6-months-extends"),
            # 31 Oct is paid (59 left), November full (29 left), 29 days of December
            pytest.param(date(2025, 10, 30), date(2025, 12, 29), False, id="1-day-short"),
        ],
    )
    def test_148_3_extension(self, training_end: date, end: date, extended: bool) -> None:
        # 180 days, Jan-Apr paid (60 left); training from 1 May does not reduce below 90
        training = TrainingPeriod(date(2025, 5, 1), training_end)
        result = run(Alg1Facts(date(2025, 1, 1), 12, 12, training_periods=(training,)))
        assert result.end_date == end
        assert ("ALG1_TRAINING_EXTENSION" in codes(result)) is extended

    def test_no_extension_before_buergergeld_gesetz(self) -> None:
        """§ 148 (2) S. 3 SGB III a. F.: before 1 Jul 2023 training keeps only one month, and
        § 148 (3) does not exist yet."""
        training = TrainingPeriod(date(2021, 5, 1), date(2021, 10, 31))
        facts = Alg1Facts(date(2021, 1, 1), 12, 12, training_periods=(training,))
        result = run(facts, as_of=date(2021, 6, 1))
        # 60 days left on 1 May; 60 training days take 30 of them, the last 30 pay November
        assert result.end_date == date(2021, 11, 30)
        assert "ALG1_TRAINING_EXTENSION" not in codes(result)


class TestQualifyingAndMissingFacts:
    def test_no_qualifying_period(self) -> None:
        result = run(Alg1Facts(date(2025, 1, 1), 11, 20))
        assert (result.qualified, result.entitlement_days, result.end_date) == (False, 0, None)
        assert not result.running_on(date(2025, 1, 2))

    def test_short_contract_ignores_age(self) -> None:
        facts = Alg1Facts(date(2025, 3, 1), 8, 8, short_contract=True)
        result = run(facts, birth_date=date(1969, 1, 1))
        assert (result.entitlement_days, result.end_date) == (120, date(2025, 6, 30))
        assert "ALG1_SHORT_CONTRACT_CONDITIONS_ASSUMED" in codes(result)

    def test_missing_birth_date_uses_lowest_age_band(self) -> None:
        result = run(Alg1Facts(date(2025, 1, 1), 30, 30), birth_date=None)
        assert result.entitlement_days == 360
        assert "ALG1_BIRTH_DATE_MISSING" in codes(result)

    def test_missing_insured_months(self) -> None:
        result = run(Alg1Facts(date(2025, 1, 1)))
        assert (result.entitlement_days, result.end_date) == (None, None)
        assert "ALG1_INSURED_MONTHS_MISSING" in codes(result)
        assert result.running_on(date(2025, 2, 1))
