"""Notices to the person (letters and e-mails in German): kinds, lifecycle, channel, retries.

A notice is recorded when its trigger happens (an invitation, a transfer, a booked
consultation, or a request) with the facts it needs that are no personal data (dates,
organisations, document types). The person's contact data is read from handover_api only
when the notice is rendered and sent, never stored in events.

    pending ──rendered──► rendered (letter: final, marked for printing)
       │                     └─e-mail sent──► sent
       └──(contact or SMTP failure, bounded retries)──► failed
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from notifications_api.domain.errors import NotificationsError


class NoticeKind(StrEnum):
    """What a notice tells the person."""

    INVITATION = "invitation"
    APPOINTMENT_CONFIRMATION = "appointment_confirmation"
    CHANGE_OF_RESPONSIBILITY = "change_of_responsibility"
    DISCLOSURE_INFORMATION = "disclosure_information"


class NoticeChannel(StrEnum):
    """E-mail when the person has an address, otherwise a printed letter."""

    EMAIL = "email"
    LETTER = "letter"


class NoticeStatus(StrEnum):
    """pending → rendered → sent, or failed after the bounded attempts."""

    PENDING = "pending"
    RENDERED = "rendered"
    SENT = "sent"
    FAILED = "failed"


# What the disclosure information names as the basis of the transfer (domain.md §3.4).
DISCLOSURE_LEGAL_BASIS = "§ 69 Abs. 1 Nr. 1 SGB X in Verbindung mit § 50 SGB II"


class NoticeFactsUnknown(NotificationsError):
    """A notice was requested for a case about which nothing it would say is known."""


@dataclass(frozen=True)
class NoticeTemplate:
    """The template of one kind, its version (stored with every notice) and its title."""

    file: str
    version: str
    title: str


TEMPLATES: Mapping[NoticeKind, NoticeTemplate] = {
    NoticeKind.INVITATION: NoticeTemplate(
        "invitation.html.j2", "invitation/1", "Einladung zur Informationsveranstaltung"
    ),
    NoticeKind.APPOINTMENT_CONFIRMATION: NoticeTemplate(
        "appointment_confirmation.html.j2", "appointment_confirmation/1", "Terminbestätigung"
    ),
    NoticeKind.CHANGE_OF_RESPONSIBILITY: NoticeTemplate(
        "change_of_responsibility.html.j2",
        "change_of_responsibility/1",
        "Mitteilung über den Wechsel der Zuständigkeit",
    ),
    NoticeKind.DISCLOSURE_INFORMATION: NoticeTemplate(
        "disclosure_information.html.j2",
        "disclosure_information/1",
        "Information über die Übermittlung Ihrer Daten",
    ),
}


@dataclass(frozen=True)
class Organisation:
    """How a letter names an organisation and where the person reaches it."""

    name: str
    contact: str


# The seeded organisations (handover_api's organisations table); unknown ids are named as given.
ORGANISATIONS: Mapping[str, Organisation] = {
    "agentur-hagen": Organisation(
        "Agentur für Arbeit Hagen", "über Ihre Ansprechperson in der Agentur für Arbeit Hagen"
    ),
    "jobcenter-ennepe-ruhr": Organisation(
        "Jobcenter EN (Ennepe-Ruhr-Kreis)",
        "über Ihre Integrationsfachkraft im Jobcenter EN (Ennepe-Ruhr-Kreis)",
    ),
    "agentur-ahlen-muenster": Organisation(
        "Agentur für Arbeit Ahlen-Münster",
        "über Ihre Ansprechperson in der Agentur für Arbeit Ahlen-Münster",
    ),
    "jobcenter-muenster": Organisation(
        "Jobcenter Münster", "über Ihre Integrationsfachkraft im Jobcenter Münster"
    ),
}


def organisation(org: str) -> Organisation:
    """The letter's view of an organisation id."""
    return ORGANISATIONS.get(org, Organisation(org, f"über Ihre Ansprechperson ({org})"))


@dataclass(frozen=True)
class Contact:
    """The person's contact data as handover_api answers it; held in memory only."""

    given_name: str
    family_name: str
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    town: str | None = None


class ContactNotFound(Exception):
    """handover_api knows no contact data for the case (permanent: the notice fails)."""


class ContactUnavailable(Exception):
    """handover_api could not be asked (transient: the notice is retried)."""


class ContactSource(Protocol):
    """Reads the person's contact data for a notice (an audited read at the owner)."""

    async def contact(self, case_id: str) -> Contact:
        """The contact of the case; raises ContactNotFound or ContactUnavailable."""
        ...


@dataclass(frozen=True)
class OutgoingMail:
    """One e-mail: HTML body and the PDF attached."""

    to: str
    subject: str
    html: str
    text: str
    pdf: bytes
    pdf_filename: str


class MailNotSent(Exception):
    """The SMTP server refused or could not be reached; the notice is retried."""


class Mailer(Protocol):
    """Sends one e-mail (SMTP in production, a local server in tests)."""

    async def send(self, mail: OutgoingMail) -> None:
        """Send it; raises MailNotSent."""
        ...


def channel_for(contact: Contact) -> NoticeChannel:
    """E-mail when the person gave an address, otherwise a letter to print."""
    return NoticeChannel.EMAIL if contact.email else NoticeChannel.LETTER


@dataclass(frozen=True)
class NoticeRetryPolicy:
    """Bounded attempts with a backoff schedule (the last delay repeats)."""

    max_attempts: int
    backoff_seconds: Sequence[float]

    def next_attempt_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` failed ones; None when the notice has failed."""
        if attempts >= self.max_attempts:
            return None
        index = min(attempts - 1, len(self.backoff_seconds) - 1)
        return now + timedelta(seconds=self.backoff_seconds[max(index, 0)])


def pdf_filename(kind: NoticeKind, notice_id: str) -> str:
    """The attachment's name (no personal data in it)."""
    return f"{kind.value.replace('_', '-')}-{notice_id[:8]}.pdf"


def plain_text(title: str, organisation_name: str) -> str:
    """The text part of the e-mail for clients that show no HTML."""
    return (
        f"{title}\n\n"
        "Guten Tag,\n\n"
        f"anbei erhalten Sie ein Schreiben von {organisation_name} als PDF-Datei.\n\n"
        "Mit freundlichen Grüßen\n"
        f"{organisation_name}\n"
    )
