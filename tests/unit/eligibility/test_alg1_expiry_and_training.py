"""§ 161 (2) SGB III (four years), § 148 (2) S. 2/3 and (3) SGB III by the day they apply."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility_api.domain.alg1 import Alg1Result, compute_alg1
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.facts import (
    Alg1Facts,
    Sperrzeit,
    SperrzeitKind,
    Suspension,
    SuspensionCause,
    TrainingPeriod,
)
from eligibility_api.domain.rulesets import ruleset_for

BORN = date(1980, 1, 1)  # under 50 on every claim date used here


def run(alg1: Alg1Facts, as_of: date) -> Alg1Result:
    return compute_alg1(alg1, BORN, as_of, ruleset_for(as_of), RuleConfig())


def codes(result: Alg1Result) -> set[str]:
    return {r.code for r in result.reasons} | {w.code for w in result.warnings}


class TestFourYearsAfterTheClaimArose:
    def test_long_ruhen_does_not_move_the_four_years(self) -> None:
        """§ 161 (2) SGB III: a claim of 1 Jan 2020 can be asserted until 1 Jan 2024; 1,200 days
        of Ruhen (sickness) do not shift the period, so 360 days end there."""
        ruhen = Suspension(date(2020, 1, 1), 1200, SuspensionCause.SICKNESS)
        result = run(Alg1Facts(date(2020, 1, 1), 24, 24, suspensions=(ruhen,)), date(2020, 1, 1))
        assert result.end_date == date(2024, 1, 1)
        assert "ALG1_CLAIM_LIFETIME_ENDED" in codes(result)

    @pytest.mark.parametrize(
        ("as_of", "running"),
        [
            pytest.param(date(2023, 12, 31), True, id="day-before"),
            pytest.param(date(2024, 1, 1), True, id="last-day"),
            pytest.param(date(2024, 1, 2), False, id="day-after"),
        ],
    )
    def test_around_the_fourth_anniversary(self, as_of: date, running: bool) -> None:
        """§ 161 (2) SGB III with § 26 (1) SGB X, §§ 187 (1), 188 (2) BGB: the period starts the
        day after the claim arose and ends on the day with the same date four years later."""
        ruhen = Suspension(date(2020, 1, 1), 1200, SuspensionCause.SICKNESS)
        result = run(Alg1Facts(date(2020, 1, 1), 24, 24, suspensions=(ruhen,)), as_of)
        assert result.running_on(as_of) is running

    def test_claim_ending_within_four_years_is_unchanged(self) -> None:
        """§ 161 (2) SGB III: 1,000 days of Ruhen (to 26 Sep 2022) and 360 paid days (4 in
        September, October to August 330, 26 in September) end on 26 Sep 2023, within the four
        years."""
        ruhen = Suspension(date(2020, 1, 1), 1000, SuspensionCause.SICKNESS)
        result = run(Alg1Facts(date(2020, 1, 1), 24, 24, suspensions=(ruhen,)), date(2020, 1, 1))
        assert result.end_date == date(2023, 9, 26)
        assert "ALG1_CLAIM_LIFETIME_ENDED" not in codes(result)

    def test_remaining_days_after_a_pause_of_work(self) -> None:
        """§ 161 (2) SGB III: 100 of 360 days were paid before work (not a new claim); back on
        1 Feb 2025, the rest of the claim of 1 Mar 2021 ends on 1 Mar 2025."""
        facts = Alg1Facts(date(2021, 3, 1), 24, 24, paid_days=100)
        result = run(facts, date(2025, 2, 1))
        assert (result.end_date, result.remaining_days) == (date(2025, 3, 1), 260)

    def test_nothing_left_after_the_four_years(self) -> None:
        """§ 161 (2) SGB III: on 2 Mar 2025 the claim of 1 Mar 2021 can no longer be asserted."""
        facts = Alg1Facts(date(2021, 3, 1), 24, 24, paid_days=100)
        result = run(facts, date(2025, 3, 2))
        assert (result.end_date, result.remaining_days) == (date(2025, 3, 1), 0)
        assert not result.running_on(date(2025, 3, 2))

    def test_claim_on_a_leap_day(self) -> None:
        """§ 161 (2) SGB III: a claim of 29 Feb 2020 can be asserted until 29 Feb 2024."""
        ruhen = Suspension(date(2020, 2, 29), 1500, SuspensionCause.OTHER)
        result = run(Alg1Facts(date(2020, 2, 29), 24, 24, suspensions=(ruhen,)), date(2020, 3, 1))
        assert result.end_date == date(2024, 2, 29)


class TestTrainingFloorByDay:
    def test_one_month_floor_before_july_2023(self) -> None:
        """§ 148 (1) Nr. 7, (2) S. 3 SGB III a. F.: training from 1 Apr to 30 Jun 2023 reduces
        90 remaining days by 45.5 (one month would still be kept); 44.5 days pay July and 15
        days of August."""
        training = TrainingPeriod(date(2023, 4, 1), date(2023, 6, 30))
        facts = Alg1Facts(date(2023, 1, 1), 12, 12, training_periods=(training,))
        result = run(facts, date(2023, 8, 1))
        assert result.end_date == date(2023, 8, 15)
        assert "ALG1_TRAINING_REDUCTION_UNSURE" in codes(result)

    def test_three_month_floor_since_july_2023(self) -> None:
        """§ 148 (2) S. 3 SGB III as amended by the Bürgergeld-Gesetz (BGBl. I 2022 S. 2328):
        with 90 days left, training from 1 Apr 2024 reduces nothing; the end is 30 Sep 2024."""
        training = TrainingPeriod(date(2024, 4, 1), date(2024, 6, 30))
        facts = Alg1Facts(date(2024, 1, 1), 12, 12, training_periods=(training,))
        result = run(facts, date(2024, 4, 1))
        assert result.end_date == date(2024, 9, 30)

    def test_training_across_the_switch(self) -> None:
        """§ 148 (2) S. 3 SGB III old and new: June 2023 takes 15 of 90 days (floor one month),
        July 2023 nothing more (75 < three months); 75 days from 1 Aug end on 15 Oct 2023."""
        training = TrainingPeriod(date(2023, 6, 1), date(2023, 7, 31))
        facts = Alg1Facts(date(2023, 3, 1), 12, 12, training_periods=(training,))
        result = run(facts, date(2023, 6, 1))
        assert result.end_date == date(2023, 10, 15)
        reduction = next(r for r in result.reasons if r.code == "ALG1_REDUCTION_TRAINING")
        assert "30 bzw. 90 Tagen" in reduction.text_de

    def test_no_extension_for_training_ended_before_july_2023(self) -> None:
        """§ 148 (3) SGB III applies from 1 Jul 2023: six months of training ending 31 May 2023
        give no extension, even when evaluated later; one month is left and pays June."""
        training = TrainingPeriod(date(2022, 12, 1), date(2023, 5, 31))
        facts = Alg1Facts(date(2022, 10, 1), 12, 12, training_periods=(training,))
        result = run(facts, date(2023, 8, 1))
        assert result.end_date == date(2023, 6, 30)
        assert "ALG1_TRAINING_EXTENSION" not in codes(result)


class TestLapseOfMeasureSperrzeit:
    def test_lapsed_measure_sperrzeit_is_flagged(self) -> None:
        """§ 148 (2) S. 2 SGB III: only the Abbruch of a measure lapses after a year, not its
        Ablehnung; the facts do not say which, so the lapse is flagged."""
        sz = Sperrzeit(SperrzeitKind.MEASURE, date(2024, 5, 1), 21)
        result = run(Alg1Facts(date(2025, 6, 1), 24, 24, sperrzeiten=(sz,)), date(2025, 6, 1))
        assert result.entitlement_days == 360
        warning = next(w for w in result.warnings if w.code == "ALG1_MEASURE_LAPSE_UNSURE")
        assert warning.uncertain

    def test_lapsed_quit_job_sperrzeit_is_certain(self) -> None:
        """§ 148 (2) S. 2 SGB III names the Arbeitsaufgabe without a distinction."""
        sz = Sperrzeit(SperrzeitKind.QUIT_JOB, date(2024, 6, 1), 84)
        result = run(Alg1Facts(date(2025, 6, 1), 24, 24, sperrzeiten=(sz,)), date(2025, 6, 1))
        assert result.entitlement_days == 360
        assert "ALG1_REDUCTION_LAPSED" in codes(result)
        assert "ALG1_MEASURE_LAPSE_UNSURE" not in codes(result)
