"""One Regelaltersgrenze for ALG I (§ 136 (2) SGB III, § 235 SGB VI) and SGB II (§ 7a SGB II)."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility_api.domain.age_limit import age_limit_month_end, regelaltersgrenze_months
from eligibility_api.domain.alg1 import alg1_age_limit_date
from eligibility_api.domain.sgb2 import age_limit_date

# § 7a S. 2 SGB II, written out as the statute's own table (months of increase by birth year).
_SECTION_7A_INCREASE = {
    1947: 1, 1948: 2, 1949: 3, 1950: 4, 1951: 5, 1952: 6, 1953: 7, 1954: 8, 1955: 9,
    1956: 10, 1957: 11, 1958: 12, 1959: 14, 1960: 16, 1961: 18, 1962: 20, 1963: 22,
}  # fmt: skip


class TestOneTableForBothLaws:
    @pytest.mark.parametrize("year", range(1940, 1971))
    def test_section_7a_table_equals_section_235(self, year: int) -> None:
        """§ 7a S. 1-2 SGB II: 65 years before 1947, the table's increase for 1947-1963 and 24
        months (67 years) from 1964, the same steps as § 235 (2) S. 2 SGB VI."""
        increase = 0 if year < 1947 else _SECTION_7A_INCREASE.get(year, 24)
        assert regelaltersgrenze_months(year) == 65 * 12 + increase

    @pytest.mark.parametrize(
        "birth",
        [
            date(1946, 12, 31),
            date(1947, 1, 1),
            date(1954, 7, 1),
            date(1958, 12, 31),
            date(1959, 1, 1),
            date(1960, 2, 29),
            date(1963, 12, 1),
            date(1964, 1, 1),
            date(1972, 8, 31),
        ],
        ids=str,
    )
    def test_alg1_and_sgb2_end_with_the_same_month(self, birth: date) -> None:
        """§ 136 (2) SGB III (no ALG I from the following month) and § 7a SGB II ("mit Ablauf
        des Monats") end with the month in which the limit is completed."""
        assert alg1_age_limit_date(birth) == age_limit_date(birth) == age_limit_month_end(birth)

    def test_born_on_the_first_completes_in_the_month_before(self) -> None:
        """Born 1 Jan 1964: 67 years are completed at the end of 31 Dec 2030 (§ 26 (1) SGB X,
        §§ 187 (2) S. 2, 188 (2) BGB), so both benefits end on 31 Dec 2030 (§ 7a SGB II)."""
        assert age_limit_month_end(date(1964, 1, 1)) == date(2030, 12, 31)
