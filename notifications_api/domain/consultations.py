"""Attendance at info sessions and the individual consultation within four weeks (R2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum

from notifications_api.domain.errors import NotificationsError
from notifications_api.domain.invitations import consultation_due_date, local_date

# A consultation slot lasts at least this long and at most a working day.
MIN_SLOT = timedelta(minutes=10)
MAX_SLOT = timedelta(hours=8)


class Attendance(StrEnum):
    """What happened at the session, recorded by either host."""

    ATTENDED = "attended"
    NO_SHOW = "no_show"
    EXCUSED = "excused"


class ConsultationStatus(StrEnum):
    """booked → held | cancelled | missed."""

    BOOKED = "booked"
    HELD = "held"
    CANCELLED = "cancelled"
    MISSED = "missed"


class ConsultationChannel(StrEnum):
    """Where the consultation takes place."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class AttendanceNotPossible(NotificationsError):
    """The invitation has no session yet."""


class ConsultationNeedsAttendance(NotificationsError):
    """A consultation follows a session the person attended."""


class ConsultationOutsideWindow(NotificationsError):
    """The slot is not within four weeks after the session (domain.md R2)."""


class InvalidConsultationSlot(NotificationsError):
    """The slot ends before it starts or is implausibly short or long."""


class ConsultationAlreadyFinal(NotificationsError):
    """The consultation was already held, cancelled or missed."""


def check_attendance_possible(session_id: uuid.UUID | None) -> None:
    """Raise unless the invitation is seated in a session."""
    if session_id is None:
        raise AttendanceNotPossible("the invitation has no session yet")


def check_slot(
    attendance: str | None,
    session_starts_at: datetime | None,
    starts_at: datetime,
    ends_at: datetime,
) -> date:
    """The due date; raise unless the slot lies within four weeks after an attended session."""
    if attendance != Attendance.ATTENDED.value or session_starts_at is None:
        raise ConsultationNeedsAttendance("record the person's attendance at the session first")
    if not MIN_SLOT <= ends_at - starts_at <= MAX_SLOT:
        raise InvalidConsultationSlot("a slot lasts between 10 minutes and 8 hours")
    due = consultation_due_date(session_starts_at)
    if starts_at < session_starts_at or local_date(starts_at) > due:
        raise ConsultationOutsideWindow(
            f"the consultation must take place between the session and {due.isoformat()}"
        )
    return due


def next_status(current: str, wanted: ConsultationStatus) -> ConsultationStatus:
    """Only a booked consultation changes; to held, cancelled or missed."""
    if current != ConsultationStatus.BOOKED.value:
        raise ConsultationAlreadyFinal(f"the consultation is already {current}")
    if wanted is ConsultationStatus.BOOKED:
        raise ConsultationAlreadyFinal("the consultation is booked already")
    return wanted
