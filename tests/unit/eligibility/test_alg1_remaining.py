"""§ 147 (4) SGB III: the remainder of an expired claim and the end of its five years."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility_api.domain.alg1 import Alg1Result, compute_alg1
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.facts import Alg1Facts, PreviousClaim
from eligibility_api.domain.rulesets import ruleset_for

BORN = date(1995, 7, 10)


def run(claim: date, previous: PreviousClaim) -> Alg1Result:
    facts = Alg1Facts(claim, 12, 12, previous_claim=previous)
    return compute_alg1(facts, BORN, claim, ruleset_for(claim), RuleConfig())


def codes(result: Alg1Result) -> set[str]:
    return {r.code for r in result.reasons} | {w.code for w in result.warnings}


class TestFiveYears:
    @pytest.mark.parametrize(
        ("claim", "days", "boundary"),
        [
            pytest.param(date(2025, 2, 28), 280, False, id="day-before"),
            pytest.param(date(2025, 3, 1), 280, True, id="last-day"),
            pytest.param(date(2025, 3, 2), 180, False, id="day-after"),
        ],
    )
    def test_around_the_fifth_anniversary(self, claim: date, days: int, boundary: bool) -> None:
        """§ 147 (4) SGB III with § 26 (1) SGB X, §§ 187 (1), 188 (2) BGB: five years from a
        claim of 1 Mar 2020 end with 1 Mar 2025; a new claim that day still takes the 100 days,
        flagged because the BA instruction on the boundary day was not checked."""
        result = run(claim, PreviousClaim(date(2020, 3, 1), 100))
        assert result.entitlement_days == days
        assert ("ALG1_REMAINING_ENTITLEMENT_BOUNDARY_UNSURE" in codes(result)) is boundary

    @pytest.mark.parametrize(
        ("claim", "days"),
        [
            pytest.param(date(2025, 2, 28), 280, id="28-feb-added"),
            pytest.param(date(2025, 3, 1), 180, id="1-mar-lapsed"),
        ],
    )
    def test_claim_of_a_leap_day(self, claim: date, days: int) -> None:
        """§ 147 (4) SGB III with § 188 (3) BGB: five years from 29 Feb 2020 end with 28 Feb
        2025, the last day of February."""
        assert run(claim, PreviousClaim(date(2020, 2, 29), 100)).entitlement_days == days
