"""Info-session invitations (domain.md §2.1 steps 2-3, §4.1 R1 and R2)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# Sessions happen in Germany; "on or after the invitation date" is a local calendar date.
LOCAL_TZ = ZoneInfo("Europe/Berlin")
# R2: the individual consultation is due within 4 weeks (<= 28 days) after the session.
CONSULTATION_WITHIN = timedelta(days=28)
LOCATION_PATTERN = r"^[A-Z][A-Z0-9_-]{1,49}$"

_UMLAUTS = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "ẞ": "SS"})


class InvitationStatus(StrEnum):
    """scheduled: a seat in a session; pending: no session with free seats yet."""

    SCHEDULED = "scheduled"
    PENDING = "pending"
    SUPERSEDED = "superseded"


def normalise_location(municipality: str | None) -> str | None:
    """`Münster` → `MUENSTER`, `Witten` → `WITTEN`; None when nothing usable is given."""
    if municipality is None:
        return None
    upper = municipality.strip().upper().replace("ß", "SS").translate(_UMLAUTS)
    ascii_only = unicodedata.normalize("NFKD", upper).encode("ascii", "ignore").decode()
    code = re.sub(r"[^A-Z0-9]+", "_", ascii_only).strip("_")
    return code if re.fullmatch(LOCATION_PATTERN, code) else None


def local_date(moment: datetime) -> date:
    """The German calendar date of an instant."""
    return moment.astimezone(LOCAL_TZ).date()


def start_of_local_day(day: date) -> datetime:
    """Midnight of a German calendar date, as UTC."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def session_window(invitation_date: date, alg1_end_date: date) -> tuple[datetime, datetime]:
    """Sessions that fit: from the invitation date, and before ALG I ends (UTC bounds)."""
    return start_of_local_day(invitation_date), start_of_local_day(alg1_end_date)


def consultation_due_date(session_starts_at: datetime) -> date:
    """R2: the individual consultation is due 28 days after the session date."""
    return local_date(session_starts_at) + CONSULTATION_WITHIN
