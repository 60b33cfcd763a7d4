"""ALG I ends with the month in which the Regelaltersgrenze is reached (§ 136 (2) SGB III)."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility_api.domain.age_limit import regelaltersgrenze_months
from eligibility_api.domain.alg1 import Alg1Result, alg1_age_limit_date, compute_alg1
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.facts import Alg1Facts
from eligibility_api.domain.rulesets import ruleset_for


def run(alg1: Alg1Facts, birth_date: date | None, as_of: date) -> Alg1Result:
    return compute_alg1(alg1, birth_date, as_of, ruleset_for(as_of), RuleConfig())


def codes(result: Alg1Result) -> set[str]:
    return {r.code for r in result.reasons} | {w.code for w in result.warnings}


class TestRegelaltersgrenzeByBirthYear:
    @pytest.mark.parametrize(
        ("birth_year", "months"),
        [
            pytest.param(1946, 65 * 12, id="1946-65y"),
            pytest.param(1947, 65 * 12 + 1, id="1947-65y1m"),
            pytest.param(1952, 65 * 12 + 6, id="1952-65y6m"),
            pytest.param(1958, 66 * 12, id="1958-66y"),
            pytest.param(1959, 66 * 12 + 2, id="1959-66y2m"),
            pytest.param(1963, 66 * 12 + 10, id="1963-66y10m"),
            pytest.param(1964, 67 * 12, id="1964-67y"),
            pytest.param(1990, 67 * 12, id="1990-67y"),
        ],
    )
    def test_table_steps(self, birth_year: int, months: int) -> None:
        """§ 235 (2) S. 2 SGB VI: 65 years before 1947, +1 month a year for 1947-1958, +2 months
        a year for 1959-1963; § 35 S. 2 SGB VI: 67 years from 1964."""
        assert regelaltersgrenze_months(birth_year) == months


class TestLastAlg1Day:
    @pytest.mark.parametrize(
        ("birth", "last_day"),
        [
            # born 15 Jun 1946: 65 completed at the end of 14 Jun 2011
            pytest.param(date(1946, 6, 15), date(2011, 6, 30), id="1946-mid-month"),
            # born 1 Jan 1947: 65y1m completed at the end of 31 Jan 2012
            pytest.param(date(1947, 1, 1), date(2012, 1, 31), id="1947-born-1st"),
            # born 2 Jan 1947: 65y1m completed at the end of 1 Feb 2012
            pytest.param(date(1947, 1, 2), date(2012, 2, 29), id="1947-born-2nd"),
            pytest.param(date(1958, 12, 31), date(2024, 12, 31), id="1958-last-day"),
            # one day younger, two months more (66y2m): completed at the end of 28 Feb 2025
            pytest.param(date(1959, 1, 1), date(2025, 2, 28), id="1959-first-day"),
            pytest.param(date(1963, 12, 31), date(2030, 10, 31), id="1963-last-day"),
            # 67 years completed at the end of 31 Dec 2030
            pytest.param(date(1964, 1, 1), date(2030, 12, 31), id="1964-first-day"),
            # born 29 Feb 1964: 67 completed at the end of 28 Feb 2031 (no 29 Feb in 2031)
            pytest.param(date(1964, 2, 29), date(2031, 2, 28), id="leap-day-born"),
        ],
    )
    def test_end_of_the_month_the_age_is_completed(self, birth: date, last_day: date) -> None:
        """§ 136 (2) SGB III ("vom Beginn des folgenden Monats an"); the age is completed at the
        end of the day before the birthday (§ 26 (1) SGB X with §§ 187 (2) S. 2, 188 (2) BGB)."""
        assert alg1_age_limit_date(birth) == last_day


class TestClaimCutByTheAgeLimit:
    CLAIM = Alg1Facts(date(2025, 7, 1), 48, 48)  # 24 months at 65: would run to 30 Jun 2027
    BORN = date(1960, 3, 1)  # 66y4m completed at the end of 30 Jun 2026

    def test_normal_end_beyond_the_limit_is_cut(self) -> None:
        """§ 136 (2) SGB III with § 235 (2) SGB VI: 720 days of § 147 (2) stay the entitlement,
        but ALG I ends on 30 Jun 2026, the month in which 66 years and 4 months are reached."""
        result = run(self.CLAIM, self.BORN, date(2025, 7, 1))
        assert (result.entitlement_days, result.end_date) == (720, date(2026, 6, 30))
        assert result.age_limit_date == date(2026, 6, 30)
        assert "ALG1_AGE_LIMIT" in codes(result)
        end = next(r for r in result.reasons if r.code == "ALG1_END_DATE")
        assert "30.06.2026" in end.text_de

    @pytest.mark.parametrize(
        ("as_of", "running"),
        [
            pytest.param(date(2026, 6, 29), True, id="day-before"),
            pytest.param(date(2026, 6, 30), True, id="last-day"),
            pytest.param(date(2026, 7, 1), False, id="first-day-after"),
        ],
    )
    def test_running_around_the_limit(self, as_of: date, running: bool) -> None:
        """§ 136 (2) SGB III: a claim exists until the end of the month of the Regelaltersgrenze
        and from the first of the next month no longer; the rest of the entitlement lapses."""
        result = run(self.CLAIM, self.BORN, as_of)
        assert result.running_on(as_of) is running
        assert (result.remaining_days == 0) is not running

    @pytest.mark.parametrize(
        ("birth", "end"),
        [
            # completed at the end of 29 Apr 2031
            pytest.param(date(1964, 4, 30), date(2031, 4, 30), id="born-30-apr"),
            # completed at the end of 30 Apr 2031: still April
            pytest.param(date(1964, 5, 1), date(2031, 4, 30), id="born-1-may"),
            # completed at the end of 1 May 2031: one month more
            pytest.param(date(1964, 5, 2), date(2031, 5, 31), id="born-2-may"),
        ],
    )
    def test_birthday_on_the_first_moves_the_end_a_month_earlier(
        self, birth: date, end: date
    ) -> None:
        """§ 136 (2) SGB III with § 187 (2) S. 2 BGB: born on 1 May, 67 years are completed at
        the end of 30 April, so ALG I ends in April; born on 2 May it ends in May."""
        result = run(Alg1Facts(date(2030, 1, 1), 48, 48), birth, date(2030, 1, 1))
        assert result.end_date == end

    @pytest.mark.parametrize(
        ("birth", "claim", "end"),
        [
            # born 1955: 65y9m completed at the end of 19 May 2021
            pytest.param(date(1955, 8, 20), date(2020, 9, 1), date(2021, 5, 31), id="1955"),
            # born 1958: 66y completed at the end of 9 Mar 2024
            pytest.param(date(1958, 3, 10), date(2023, 1, 1), date(2024, 3, 31), id="1958"),
            # born 1959: 66y2m completed at the end of 9 Aug 2025
            pytest.param(date(1959, 6, 10), date(2024, 11, 1), date(2025, 8, 31), id="1959"),
            # born 1963: 66y10m completed at the end of 14 Apr 2030
            pytest.param(date(1963, 6, 15), date(2029, 1, 1), date(2030, 4, 30), id="1963"),
            # born 1964: 67y completed at the end of 14 Jun 2031
            pytest.param(date(1964, 6, 15), date(2030, 1, 1), date(2031, 6, 30), id="1964"),
        ],
    )
    def test_cut_at_each_step_of_the_table(self, birth: date, claim: date, end: date) -> None:
        """§ 136 (2) SGB III, § 235 (2) SGB VI: 24 months of ALG I (§ 147 (2), 48 insured months,
        age ≥ 58) end with the month of the Regelaltersgrenze of the person's birth year."""
        result = run(Alg1Facts(claim, 48, 48), birth, claim)
        assert result.end_date == end
        assert "ALG1_AGE_LIMIT" in codes(result)

    def test_claim_ending_before_the_limit_is_unchanged(self) -> None:
        """§ 147 (2) SGB III: 12 months from 1 Jun 2025 end on 31 May 2026, before the limit of
        § 136 (2) (30 Jun 2026), which then gives no reason."""
        result = run(Alg1Facts(date(2025, 6, 1), 24, 24), self.BORN, date(2025, 6, 1))
        assert result.end_date == date(2026, 5, 31)
        assert "ALG1_AGE_LIMIT" not in codes(result)

    def test_paid_days_after_the_limit_leave_nothing(self) -> None:
        """§ 136 (2) SGB III: with 300 days paid (§ 148 (1) Nr. 1) and 420 left, an evaluation
        on 1 Aug 2026 finds the claim ended on 30 Jun 2026."""
        facts = Alg1Facts(date(2025, 7, 1), 48, 48, paid_days=300)
        result = run(facts, self.BORN, date(2026, 8, 1))
        assert (result.end_date, result.remaining_days) == (date(2026, 6, 30), 0)


class TestClaimAfterTheLimit:
    BORN = date(1959, 6, 10)  # 66y2m completed at the end of 9 Aug 2025

    def test_claim_in_the_following_month_does_not_arise(self) -> None:
        """§ 136 (2) SGB III: from 1 Sep 2025 the person has no claim to ALG I at all."""
        result = run(Alg1Facts(date(2025, 9, 1), 48, 48), self.BORN, date(2025, 9, 1))
        assert (result.qualified, result.entitlement_days, result.end_date) == (False, 0, None)
        assert result.remaining_days == 0
        assert not result.running_on(date(2025, 9, 1))
        assert "ALG1_AGE_LIMIT_REACHED" in codes(result)

    def test_claim_on_the_last_day_pays_one_day(self) -> None:
        """§ 136 (2) SGB III: a claim arising on 31 Aug 2025, in the month of the Regelalters-
        grenze, exists for that day only."""
        result = run(Alg1Facts(date(2025, 8, 31), 48, 48), self.BORN, date(2025, 8, 31))
        assert (result.qualified, result.end_date) == (True, date(2025, 8, 31))
        assert result.running_on(date(2025, 8, 31))


class TestWhatTheEngineCannotCheck:
    def test_trust_protection_for_1947_to_1954_is_flagged(self) -> None:
        """§ 235 (2) S. 3 SGB VI keeps 65 years for some born 1947-1954 (Altersteilzeit agreed
        before 2007); the facts cannot say so, so the cut on 29 Feb 2020 is flagged."""
        result = run(Alg1Facts(date(2020, 1, 1), 48, 48), date(1954, 6, 15), date(2020, 1, 1))
        assert result.end_date == date(2020, 2, 29)
        warning = next(
            w for w in result.warnings if w.code == "ALG1_AGE_LIMIT_TRUST_PROTECTION_UNSURE"
        )
        assert warning.uncertain

    def test_no_trust_protection_warning_from_1955(self) -> None:
        """§ 235 (2) S. 3 SGB VI reaches only birth years up to 1954."""
        result = run(Alg1Facts(date(2020, 9, 1), 48, 48), date(1955, 8, 20), date(2020, 9, 1))
        assert "ALG1_AGE_LIMIT_TRUST_PROTECTION_UNSURE" not in codes(result)

    def test_missing_birth_date_says_the_limit_is_unchecked(self) -> None:
        """§ 136 (2) SGB III needs the birth date; without it the end is not cut and the warning
        says so."""
        result = run(Alg1Facts(date(2025, 7, 1), 48, 48), None, date(2025, 7, 1))
        assert result.age_limit_date is None
        warning = next(w for w in result.warnings if w.code == "ALG1_BIRTH_DATE_MISSING")
        assert warning.uncertain
        assert "§ 136 Abs. 2 SGB III" in warning.text_de
