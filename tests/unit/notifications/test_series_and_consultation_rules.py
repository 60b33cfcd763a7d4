"""Series rules (n-th weekday, last weekday, local time) and the four-week window (R2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from notifications_api.domain.consultations import (
    Attendance,
    ConsultationAlreadyFinal,
    ConsultationNeedsAttendance,
    ConsultationOutsideWindow,
    ConsultationStatus,
    InvalidConsultationSlot,
    check_slot,
    next_status,
)
from notifications_api.domain.series import (
    InvalidCoHosts,
    InvalidSeriesPeriod,
    SeriesRule,
    Weekday,
    check_co_hosts,
    check_period,
    materialise_until,
)

SESSION = datetime(2030, 3, 12, 8, 30, tzinfo=UTC)  # Tuesday 09:30 in Witten


class TestSeriesRule:
    def test_second_and_fourth_tuesday(self) -> None:
        rule = SeriesRule(Weekday.TU, (2, 4), time(9, 30))
        days = list(rule.days_between(date(2030, 3, 1), date(2030, 5, 31)))
        assert days == [
            date(2030, 3, 12),
            date(2030, 3, 26),
            date(2030, 4, 9),
            date(2030, 4, 23),
            date(2030, 5, 14),
            date(2030, 5, 28),
        ]

    def test_last_and_fifth_weekday(self) -> None:
        # April 2030 has five Tuesdays (2, 9, 16, 23, 30), March four Thursdays plus one.
        assert list(
            SeriesRule(Weekday.TU, (5,), time(9)).days_between(date(2030, 3, 1), date(2030, 4, 30))
        ) == [date(2030, 4, 30)]
        assert list(
            SeriesRule(Weekday.MO, (-1,), time(9)).days_between(date(2030, 1, 1), date(2030, 2, 28))
        ) == [date(2030, 1, 28), date(2030, 2, 25)]

    def test_local_time_across_daylight_saving(self) -> None:
        rule = SeriesRule(Weekday.TU, (2, 4), time(9, 30))
        assert rule.starts_at(date(2030, 3, 26)) == datetime(2030, 3, 26, 8, 30, tzinfo=UTC)
        assert rule.starts_at(date(2030, 4, 9)) == datetime(2030, 4, 9, 7, 30, tzinfo=UTC)

    def test_horizon_within_validity(self) -> None:
        assert materialise_until(date(2030, 3, 1), None, date(2026, 11, 25)) == date(2030, 5, 24)
        assert materialise_until(date(2030, 3, 1), None, date(2030, 4, 1)) == date(2030, 6, 24)
        assert materialise_until(date(2030, 3, 1), date(2030, 3, 31), date(2030, 4, 1)) == date(
            2030, 3, 31
        )

    def test_period_must_not_end_before_it_starts(self) -> None:
        check_period(date(2030, 3, 1), date(2030, 3, 1))
        with pytest.raises(InvalidSeriesPeriod):
            check_period(date(2030, 3, 1), date(2030, 2, 28))

    def test_co_hosts_are_placement_officer_and_coach(self) -> None:
        check_co_hosts(
            "agentur-hagen",
            "jobcenter-ennepe-ruhr",
            [
                ("jobcenter-ennepe-ruhr", "integration_coach"),
                ("agentur-hagen", "placement_officer"),
            ],
        )
        with pytest.raises(InvalidCoHosts):
            check_co_hosts(
                "agentur-hagen",
                "jobcenter-ennepe-ruhr",
                [("agentur-hagen", "placement_officer"), ("agentur-hagen", "placement_officer")],
            )


class TestConsultationWindow:
    def test_last_day_is_session_date_plus_28_in_germany(self) -> None:
        late_evening = datetime(2030, 4, 9, 21, 0, tzinfo=UTC)  # 23:00 in Germany
        assert check_slot(
            Attendance.ATTENDED.value, SESSION, late_evening, late_evening.replace(minute=30)
        ) == date(2030, 4, 9)
        midnight = datetime(2030, 4, 9, 22, 0, tzinfo=UTC)  # 2030-04-10 00:00 in Germany
        with pytest.raises(ConsultationOutsideWindow):
            check_slot(Attendance.ATTENDED.value, SESSION, midnight, midnight.replace(minute=30))

    def test_not_before_the_session(self) -> None:
        before = datetime(2030, 3, 12, 8, 0, tzinfo=UTC)
        with pytest.raises(ConsultationOutsideWindow):
            check_slot(Attendance.ATTENDED.value, SESSION, before, before.replace(minute=29))

    @pytest.mark.parametrize("attendance", [None, "no_show", "excused"])
    def test_only_after_attendance(self, attendance: str | None) -> None:
        start = datetime(2030, 3, 19, 9, 0, tzinfo=UTC)
        with pytest.raises(ConsultationNeedsAttendance):
            check_slot(attendance, SESSION, start, start.replace(minute=45))

    def test_slot_must_be_plausible(self) -> None:
        start = datetime(2030, 3, 19, 9, 0, tzinfo=UTC)
        with pytest.raises(InvalidConsultationSlot):
            check_slot(Attendance.ATTENDED.value, SESSION, start, start)

    def test_only_a_booked_consultation_changes(self) -> None:
        assert next_status("booked", ConsultationStatus.HELD) is ConsultationStatus.HELD
        with pytest.raises(ConsultationAlreadyFinal):
            next_status("held", ConsultationStatus.CANCELLED)
