"""Info-session series: a rule such as "2nd and 4th Tuesday, 09:30, Witten" (domain.md R1).

The cooperation agreement fixes sessions twice a month; a series stores the rule and
its sessions are materialised as ordinary sessions for a bounded horizon, which the
scheduler moves forward day by day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from notifications_api.domain.errors import NotificationsError
from notifications_api.domain.invitations import LOCAL_TZ

# Sessions exist this far ahead of the day they are materialised on.
MATERIALISE_HORIZON = timedelta(weeks=12)


class Weekday(StrEnum):
    """ISO weekdays by their German-calendar abbreviations (RFC 5545 BYDAY codes)."""

    MO = "MO"
    TU = "TU"
    WE = "WE"
    TH = "TH"
    FR = "FR"
    SA = "SA"
    SU = "SU"

    @property
    def day_number(self) -> int:
        """Monday 0 … Sunday 6, as `date.weekday()`."""
        return list(Weekday).index(self)


class CoHostRole(StrEnum):
    """Who hosts a joint session for each institution."""

    PLACEMENT_OFFICER = "placement_officer"  # Agentur: Arbeitsvermittlung
    INTEGRATION_COACH = "integration_coach"  # Jobcenter: Integrationsfachkraft


@dataclass(frozen=True)
class SeriesRule:
    """The n-th weekdays of each month (1..5, -1 the last), at a local time."""

    weekday: Weekday
    weeks_of_month: Sequence[int]
    start_time: time

    def days_between(self, first: date, last: date) -> Iterator[date]:
        """Every matching calendar day in [first, last], in order."""
        year, month = first.year, first.month
        while date(year, month, 1) <= last:
            for day in sorted(self._days_of_month(year, month)):
                if first <= day <= last:
                    yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def _days_of_month(self, year: int, month: int) -> set[date]:
        matching = [
            date(year, month, d)
            for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, d).weekday() == self.weekday.day_number
        ]
        days: set[date] = set()
        for n in self.weeks_of_month:
            index = n - 1 if n > 0 else n
            if -len(matching) <= index < len(matching):
                days.add(matching[index])
        return days

    def starts_at(self, day: date) -> datetime:
        """The session's start on `day`, local time in Germany, as UTC."""
        return datetime.combine(day, self.start_time, tzinfo=LOCAL_TZ).astimezone(UTC)


def materialise_until(valid_from: date, valid_until: date | None, today: date) -> date:
    """The last day sessions exist for on `today`: the horizon, within the series' validity."""
    horizon_end = max(today, valid_from) + MATERIALISE_HORIZON
    return horizon_end if valid_until is None else min(horizon_end, valid_until)


class InvalidCoHosts(NotificationsError):
    """The co-hosts are not the Agentur's placement officer and the Jobcenter's coach."""


def check_co_hosts(
    agentur_org: str, jobcenter_org: str, co_hosts: Sequence[tuple[str, str]]
) -> None:
    """Raise unless each host names its co-host once in its role (org, role pairs)."""
    expected = {
        (agentur_org, CoHostRole.PLACEMENT_OFFICER.value),
        (jobcenter_org, CoHostRole.INTEGRATION_COACH.value),
    }
    if len(co_hosts) != len(expected) or set(co_hosts) != expected:
        raise InvalidCoHosts(
            "name the Agentur's placement_officer and the Jobcenter's integration_coach"
        )


class InvalidSeriesPeriod(NotificationsError):
    """The series ends before it starts."""


def check_period(valid_from: date, valid_until: date | None) -> None:
    """Raise when the series ends before it starts."""
    if valid_until is not None and valid_until < valid_from:
        raise InvalidSeriesPeriod("valid_until lies before valid_from")
