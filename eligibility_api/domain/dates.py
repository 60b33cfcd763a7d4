"""Calendar arithmetic in the sense of §§ 187-188 BGB, as used by SGB II/III."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def month_end(day: date) -> date:
    """Return the last day of the month of `day`."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def days_in_month(day: date) -> int:
    """Return the number of calendar days in the month of `day`."""
    return calendar.monthrange(day.year, day.month)[1]


def add_months(day: date, months: int) -> date:
    """Add calendar months; a missing day (31st, 29 Feb) becomes the month end (§ 188 (3) BGB)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def anniversary(birth_date: date, years: int) -> date:
    """Return the day on which a person born on `birth_date` is `years` old (29 Feb → 1 Mar)."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:
        # Born 29 Feb: the year is completed at the end of 28 Feb (§ 188 (2), (3) BGB),
        # so the person counts as one year older from 1 Mar.
        return date(birth_date.year + years, 3, 1)


def completed_years(birth_date: date, on: date) -> int:
    """Age in completed years at the start of day `on` (§ 187 (2) S. 2 BGB: birthday counts)."""
    years = on.year - birth_date.year
    if anniversary(birth_date, years) > on:
        years -= 1
    return years


def period_end(start: date, months: int) -> date:
    """Last day of a period of `months` months that includes its first day `start`.

    § 187 (2), § 188 (2) Alt. 2 BGB: it ends on the day before the day with the same number as
    `start`; if that number is missing in the last month, on the month end (§ 188 (3) BGB).
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    if start.day > last:
        return date(year, month + 1, last)
    return date(year, month + 1, start.day) - ONE_DAY


def completion_date(birth_date: date, months: int) -> date:
    """Return the day at whose end an age of `months` months is completed."""
    return period_end(birth_date, months)


def fmt(day: date) -> str:
    """Format a date the German way (TT.MM.JJJJ)."""
    return day.strftime("%d.%m.%Y")
