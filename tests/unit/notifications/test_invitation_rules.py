"""Invitation rules: location codes, the session window and the R2 consultation date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from notifications_api.domain.invitations import (
    consultation_due_date,
    local_date,
    normalise_location,
    session_window,
)


class TestLocation:
    @pytest.mark.parametrize(
        ("municipality", "code"),
        [
            ("Witten", "WITTEN"),
            (" gevelsberg ", "GEVELSBERG"),
            ("Münster", "MUENSTER"),
            ("Ennepetal-Süd", "ENNEPETAL_SUED"),
            ("Straße", "STRASSE"),
        ],
    )
    def test_municipality_becomes_a_location_code(self, municipality: str, code: str) -> None:
        assert normalise_location(municipality) == code

    @pytest.mark.parametrize("municipality", [None, "", "  ", "1"])
    def test_unusable_municipality_has_no_location(self, municipality: str | None) -> None:
        assert normalise_location(municipality) is None


class TestDates:
    def test_consultation_is_due_28_days_after_the_session(self) -> None:
        # domain.md R2: individual consultation within 4 weeks after the group session.
        assert consultation_due_date(datetime(2026, 2, 4, 8, 0, tzinfo=UTC)) == date(2026, 3, 4)

    def test_session_date_is_the_german_calendar_date(self) -> None:
        late_evening_utc = datetime(2026, 2, 3, 23, 30, tzinfo=UTC)  # 00:30 on 4 Feb in Berlin
        assert local_date(late_evening_utc) == date(2026, 2, 4)
        assert consultation_due_date(late_evening_utc) == date(2026, 3, 4)

    def test_window_runs_from_the_invitation_date_to_the_alg1_end(self) -> None:
        start, end = session_window(date(2026, 1, 30), date(2026, 4, 30))
        assert start == datetime(2026, 1, 29, 23, 0, tzinfo=UTC)
        assert end == datetime(2026, 4, 29, 22, 0, tzinfo=UTC)  # CEST from 29 March
