"""The Regelaltersgrenze by birth year: one table for § 136 (2) SGB III and § 7a SGB II."""

from __future__ import annotations

from datetime import date

from eligibility_api.domain.dates import completion_date, month_end

# § 7a SGB II has its own table, word for word the steps of § 235 (2) S. 2 SGB VI (65 years
# before 1947, +1 month a year for 1947-1958, +2 months a year for 1959-1963, 67 years from
# 1964; § 35 S. 2 SGB VI), and both laws end the benefit with the month in which that age is
# completed. Only § 235 (2) S. 3 SGB VI (trust protection 1947-1954) has no § 7a counterpart;
# alg1 flags it where it applies.
_BASE_MONTHS = 65 * 12
_FINAL_MONTHS = 67 * 12


def regelaltersgrenze_months(birth_year: int) -> int:
    """Age in months at which the limit is completed (§ 7a S. 2 SGB II, § 235 (2) SGB VI)."""
    if birth_year < 1947:
        return _BASE_MONTHS
    if birth_year <= 1958:
        return _BASE_MONTHS + (birth_year - 1946)
    if birth_year <= 1963:
        return 66 * 12 + 2 * (birth_year - 1958)
    return _FINAL_MONTHS


def age_limit_month_end(birth_date: date) -> date:
    """Last day before the limit: the end of the month in which it is completed.

    § 7a SGB II ("mit Ablauf des Monats") and § 136 (2) SGB III ("vom Beginn des folgenden
    Monats an"). The age is completed at the end of the day before the anniversary (§ 26 (1)
    SGB X with §§ 187 (2) S. 2, 188 (2) BGB), so a person born on the 1st completes it in the
    month before.
    """
    return month_end(completion_date(birth_date, regelaltersgrenze_months(birth_date.year)))
