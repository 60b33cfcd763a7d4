"""Notices to the person: recorded on their trigger, rendered and sent by a periodic job.

A trigger (consumer or request) records a pending notice with its facts in the trigger's
transaction. The job (one replica, advisory lock) reads the contact data from handover_api
(once per case and batch), renders the letter's HTML once, and e-mails it with its PDF when
the person has an address; otherwise the letter stays `rendered` for printing, and its PDF
is laid out when it is first downloaded. Either way the PDF is made once and stored with its
sha256, so every later download is the same document. Laying out a PDF is CPU work (some
milliseconds a page), so it runs in a worker thread, never on the event loop that also
carries the webhook deliveries. A failed contact read or SMTP dialogue is retried along the
backoff schedule until the attempts run out (`failed`); no notice is dropped. A crash
between a successful send and its commit sends that e-mail once more (at least once).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import Counter

from notifications_api.adapters.notice_repository import NOTICES_CHANNEL
from notifications_api.adapters.tables import Consultation, Invitation, Notice, NoticeRead
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.notices import (
    DISCLOSURE_LEGAL_BASIS,
    TEMPLATES,
    Contact,
    ContactNotFound,
    ContactSource,
    ContactUnavailable,
    Mailer,
    MailNotSent,
    NoticeChannel,
    NoticeFactsUnknown,
    NoticeKind,
    NoticeRetryPolicy,
    NoticeStatus,
    OutgoingMail,
    channel_for,
    organisation,
    pdf_filename,
    plain_text,
)
from shared.auth import Principal
from shared.db.advisory import AdvisoryLock
from shared.db.base import utcnow
from shared.db.notify import NotifyListener
from shared.events.envelope import Envelope
from shared.events.handover import CaseTransferredV1
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.jobs import PeriodicJob
from shared.letters import LetterRenderer, html_to_pdf
from shared.logging import get_logger
from shared.problems import NotFound

log = get_logger(__name__)

# Outcome of every attempt: sent, letter (kept for printing) or the failure code.
NOTICE_ATTEMPTS = Counter(
    "notice_attempts_total",
    "Attempts to render and send notices to the person",
    ["kind", "outcome"],
)

BERLIN = ZoneInfo("Europe/Berlin")
SYSTEM = "system"

CHANNEL_TEXT = {
    "in_person": "persönliches Gespräch",
    "phone": "Telefongespräch",
    "video": "Videogespräch",
}


def new_notice(
    *,
    case_id: uuid.UUID,
    org: str,
    kind: NoticeKind,
    facts: dict[str, Any],
    source_event_id: uuid.UUID | None,
    created_by: str,
    now: datetime,
) -> Notice:
    """A pending notice of `kind`, due at once, with the template version it will use."""
    template = TEMPLATES[kind]
    return Notice(
        id=uuid.uuid4(),
        case_id=case_id,
        org=org,
        kind=kind.value,
        channel=None,
        status=NoticeStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        last_error=None,
        facts=facts,
        source_event_id=source_event_id,
        template_version=template.version,
        title=template.title,
        html=None,
        pdf=None,
        pdf_sha256=None,
        created_by=created_by,
        created_at=now,
        rendered_at=None,
        sent_at=None,
        updated_at=now,
    )


async def _record_once(
    uow: NotificationsUnitOfWork, notice: Notice, *, announce: bool = True
) -> Notice | None:
    """Insert `notice` unless its event recorded one of its kind; wake the job with the commit.

    Without `announce` the caller wakes the job once for all it records.
    """
    inserted = await uow.notices.add_once(notice)
    if inserted:
        if announce:
            await uow.notices.announce()
        log.info("notice.recorded", notice_id=str(notice.id), kind=notice.kind)
    return notice if inserted else None


async def notices_for_transfer(
    uow: NotificationsUnitOfWork, event: Envelope[CaseTransferredV1], now: datetime | None = None
) -> list[Notice]:
    """The change-of-responsibility notice and the disclosure information, from the receiver.

    One of each per event (a redelivery records nothing); the caller's transaction commits.
    """
    data = event.data
    at = now or utcnow()
    facts = transfer_facts(data)
    recorded = []
    for kind in (NoticeKind.CHANGE_OF_RESPONSIBILITY, NoticeKind.DISCLOSURE_INFORMATION):
        notice = new_notice(
            case_id=data.case_id,
            org=data.to_org,
            kind=kind,
            facts=facts,
            source_event_id=event.id,
            created_by=SYSTEM,
            now=at,
        )
        if await _record_once(uow, notice, announce=False) is not None:
            recorded.append(notice)
    if recorded:
        await uow.notices.announce()
    return recorded


def transfer_facts(data: CaseTransferredV1) -> dict[str, Any]:
    """What the two transfer notices say: organisations, days, document types, the plan."""
    transferred_day = data.transferred_at.astimezone(BERLIN).date()
    plan = data.integration_plan
    return {
        "from_org": data.from_org,
        "to_org": data.to_org,
        "responsible_from": (data.responsible_from or transferred_day).isoformat(),
        "transferred_date": transferred_day.isoformat(),
        "documents": sorted({d.type for d in data.documents}),
        "documents_count": len(data.documents),
        "plan_continues": plan is not None,
        "measures_count": len(plan.measures) if plan is not None else 0,
        "legal_basis": DISCLOSURE_LEGAL_BASIS,
    }


async def notice_for_invitation(
    uow: NotificationsUnitOfWork,
    invitation: Invitation,
    *,
    source_event_id: uuid.UUID,
    now: datetime | None = None,
) -> Notice | None:
    """The invitation letter once the invitation has a session; None while it waits.

    Idempotent per (source event, kind); the caller's transaction commits.
    """
    facts = await invitation_facts(uow, invitation)
    if facts is None:
        return None
    notice = new_notice(
        case_id=invitation.case_id,
        org=invitation.owner_org,
        kind=NoticeKind.INVITATION,
        facts=facts,
        source_event_id=source_event_id,
        created_by=SYSTEM,
        now=now or utcnow(),
    )
    return await _record_once(uow, notice)


async def invitation_facts(
    uow: NotificationsUnitOfWork, invitation: Invitation
) -> dict[str, Any] | None:
    """Session day, time and place and both hosts; None without a session."""
    if invitation.session_id is None:
        return None
    info_session = await uow.notices.info_session(invitation.session_id)
    if info_session is None:
        return None
    due = invitation.consultation_due_date
    return {
        "session_starts_at": info_session.starts_at.isoformat(),
        "place": info_session.place or info_session.location.title(),
        "agentur_org": info_session.agentur_org,
        "jobcenter_org": info_session.jobcenter_org,
        "consultation_due_date": due.isoformat() if due is not None else None,
    }


async def notice_for_consultation(
    uow: NotificationsUnitOfWork,
    consultation: Consultation,
    *,
    source_event_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Notice | None:
    """The appointment confirmation of a booked consultation (call it in the booking's
    transaction; the caller commits).

    Idempotent per (source, kind): without an event id the consultation's id is the source,
    so a consultation is confirmed once; None when it was already recorded.
    """
    notice = new_notice(
        case_id=consultation.case_id,
        org=consultation.owner_org,
        kind=NoticeKind.APPOINTMENT_CONFIRMATION,
        facts=consultation_facts(consultation),
        source_event_id=source_event_id or consultation.id,
        created_by=SYSTEM,
        now=now or utcnow(),
    )
    return await _record_once(uow, notice)


def consultation_facts(consultation: Consultation) -> dict[str, Any]:
    """Slot, channel, place and both institutions."""
    return {
        "starts_at": consultation.starts_at.isoformat(),
        "ends_at": consultation.ends_at.isoformat(),
        "channel": consultation.channel,
        "place": consultation.place,
        "agentur_org": consultation.agentur_org,
        "jobcenter_org": consultation.jobcenter_org,
    }


@dataclass(frozen=True)
class StatedTransfer:
    """Transfer facts a caller states for an on-demand transfer notice."""

    from_org: str
    to_org: str
    responsible_from: date
    document_types: tuple[str, ...] = ()
    plan_continues: bool = False
    measures_count: int = 0


@dataclass(frozen=True)
class RequestNotice:
    """Input of `request_notice`."""

    case_id: uuid.UUID
    kind: NoticeKind
    transfer: StatedTransfer | None = None


async def request_notice(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    cmd: RequestNotice,
    answer: Callable[[Notice], Answer],
    idempotency: IdempotencyRequest | None = None,
    wakeup: Callable[[], None] | None = None,
) -> Answer:
    """Record a notice on request, from what the service knows about the case.

    Invitation: the case's current invitation with a session; appointment: its newest
    consultation; the transfer notices: the facts of the last one of that kind (a repeat,
    e.g. after a failed e-mail). Nothing known: NoticeFactsUnknown (422).
    """
    now = utcnow()
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        facts = await _facts_on_request(uow, actor.org, cmd)
        if facts is None:
            raise NoticeFactsUnknown(
                f"nothing is known to write a {cmd.kind.value} notice for this case"
            )
        notice = new_notice(
            case_id=cmd.case_id,
            org=actor.org,
            kind=cmd.kind,
            facts=facts,
            source_event_id=None,
            created_by=actor.subject,
            now=now,
        )
        uow.notices.add(notice)
        await uow.notices.announce()
        await uow.session.flush()
        created = answer(notice)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    log.info("notice.recorded", notice_id=str(notice.id), kind=notice.kind)
    if wakeup is not None:
        wakeup()
    return created


async def _facts_on_request(
    uow: NotificationsUnitOfWork, org: str, cmd: RequestNotice
) -> dict[str, Any] | None:
    if cmd.kind is NoticeKind.INVITATION:
        invitation = await uow.notices.current_invitation(org, cmd.case_id)
        return None if invitation is None else await invitation_facts(uow, invitation)
    if cmd.kind is NoticeKind.APPOINTMENT_CONFIRMATION:
        consultation = await uow.notices.latest_consultation(org, cmd.case_id)
        return None if consultation is None else consultation_facts(consultation)
    if cmd.transfer is not None:
        return stated_transfer_facts(org, cmd.transfer)
    previous = await uow.notices.latest_of_kind(org, cmd.case_id, cmd.kind.value)
    return None if previous is None else dict(previous.facts)


def stated_transfer_facts(org: str, transfer: StatedTransfer) -> dict[str, Any]:
    """The facts of a transfer notice as the source or the receiver states them."""
    if org not in (transfer.from_org, transfer.to_org):
        raise NoticeFactsUnknown("your organisation must be the source or the receiver")
    return {
        "from_org": transfer.from_org,
        "to_org": transfer.to_org,
        "responsible_from": transfer.responsible_from.isoformat(),
        "transferred_date": utcnow().astimezone(BERLIN).date().isoformat(),
        "documents": sorted(set(transfer.document_types)),
        "documents_count": len(transfer.document_types),
        "plan_continues": transfer.plan_continues,
        "measures_count": transfer.measures_count,
        "legal_basis": DISCLOSURE_LEGAL_BASIS,
    }


async def list_notices(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    *,
    case_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Notice]:
    """Notices the caller's organisation sends, newest first (plus one look-ahead row)."""
    async with uow:
        return await uow.notices.page(actor.org, case_id=case_id, after=after, limit=limit)


async def get_notice(
    uow: NotificationsUnitOfWork, actor: Principal, notice_id: uuid.UUID
) -> Notice:
    """One notice of the caller's organisation (its metadata; no personal data)."""
    async with uow:
        notice = await uow.notices.get(actor.org, notice_id)
    if notice is None:
        raise NotFound("notice not found")
    return notice


async def read_notice_document(
    uow: NotificationsUnitOfWork, actor: Principal, notice_id: uuid.UUID
) -> tuple[bytes, str]:
    """The PDF and its sha256; the read is written to the notice's audit trail."""
    async with uow:
        notice = await uow.notices.get(actor.org, notice_id)
        if notice is None:
            raise NotFound("notice not found")
        pdf, sha256 = notice.pdf, notice.pdf_sha256
        if pdf is None or sha256 is None:
            pdf, sha256 = await _lay_out_once(uow, notice.id)
        uow.notices.record_read(
            NoticeRead(
                notice_id=notice.id,
                case_id=notice.case_id,
                org=actor.org,
                client=actor.subject,
                action="document.read",
                read_at=utcnow(),
            )
        )
        await uow.commit()
    return pdf, sha256


async def _lay_out_once(uow: NotificationsUnitOfWork, notice_id: uuid.UUID) -> tuple[bytes, str]:
    """The notice's PDF, laid out from its stored HTML now if it has none yet (row locked).

    The layout depends only on the stored HTML, the title and the creation time, so two
    first downloads at once would make the same bytes; the lock makes it one.
    """
    row = await uow.notices.get_any(notice_id, for_update=True)
    if row is None or row.html is None:
        raise NotFound("the notice has not been rendered yet")
    if row.pdf is None or row.pdf_sha256 is None:
        row.pdf = await asyncio.to_thread(html_to_pdf, row.html, row.title, row.created_at)
        row.pdf_sha256 = hashlib.sha256(row.pdf).hexdigest()
        row.updated_at = utcnow()
    return row.pdf, row.pdf_sha256


def letter_context(notice: Notice, contact: Contact) -> dict[str, Any]:
    """Everything a template names: the facts, the contact, the organisations, dates."""
    facts: dict[str, Any] = dict(notice.facts)
    context: dict[str, Any] = {
        "title": notice.title,
        "person": contact,
        "sender": organisation(notice.org),
        "created_date": notice.created_at.astimezone(BERLIN).date(),
        "notice_number": str(notice.id)[:8].upper(),
    }
    kind = NoticeKind(notice.kind)
    if kind is NoticeKind.INVITATION:
        starts = _local(facts["session_starts_at"])
        due = facts.get("consultation_due_date")
        context.update(
            session_date=starts.date(),
            session_time=starts.strftime("%H:%M"),
            place=facts["place"],
            agentur=organisation(facts["agentur_org"]),
            jobcenter=organisation(facts["jobcenter_org"]),
            consultation_due_date=date.fromisoformat(due) if due else None,
        )
    elif kind is NoticeKind.APPOINTMENT_CONFIRMATION:
        starts, ends = _local(facts["starts_at"]), _local(facts["ends_at"])
        context.update(
            starts_date=starts.date(),
            starts_time=starts.strftime("%H:%M"),
            ends_time=ends.strftime("%H:%M"),
            channel_text=CHANNEL_TEXT.get(str(facts["channel"]), str(facts["channel"])),
            place=facts.get("place"),
            agentur=organisation(facts["agentur_org"]),
            jobcenter=organisation(facts["jobcenter_org"]),
        )
    else:
        context.update(
            previous=organisation(facts["from_org"]),
            receiver=organisation(facts["to_org"]),
            responsible_from=date.fromisoformat(facts["responsible_from"]),
            transferred_date=date.fromisoformat(facts["transferred_date"]),
            documents=list(facts["documents"]),
            plan_continues=bool(facts["plan_continues"]),
            measures_count=int(facts["measures_count"]),
            legal_basis=facts["legal_basis"],
        )
    return context


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(BERLIN)


class LetterNotRendered(Exception):
    """The template could not be rendered with the notice's facts (names the error type)."""


class NoticeSender:
    """The periodic job: renders due notices and e-mails them, with bounded retries."""

    def __init__(
        self,
        *,
        uow_factory: Callable[[], NotificationsUnitOfWork],
        contacts: ContactSource,
        mailer: Mailer,
        renderer: LetterRenderer,
        policy: NoticeRetryPolicy,
        batch_size: int = 20,
    ) -> None:
        self._uow = uow_factory
        self._contacts = contacts
        self._mailer = mailer
        self._renderer = renderer
        self._policy = policy
        self._batch = batch_size

    def job(
        self,
        *,
        interval_seconds: float,
        lock: AdvisoryLock | None = None,
        wakeup: asyncio.Event | None = None,
    ) -> PeriodicJob:
        """The job running `run_once` (single instance under `lock`).

        A recorded notice NOTIFYs `notices_due` with its commit, so the job sends it at once
        whichever process recorded it; `interval_seconds` only covers a lost wake-up and
        retries coming due.
        """
        wakeup = wakeup or asyncio.Event()
        listener = NotifyListener(self._uow().database_url, {NOTICES_CHANNEL: [wakeup]})
        return PeriodicJob(
            "notices",
            self.run_once,
            interval_seconds=interval_seconds,
            lock=lock,
            wakeup=wakeup,
            batch_size=self._batch,
            listener=listener,
        )

    async def run_once(self, now: datetime | None = None) -> int:
        """Handle the notices due now; the number handled."""
        at = now or utcnow()
        async with self._uow() as uow:
            due = await uow.notices.due(at, self._batch)
        # The notices of one trigger (a transfer makes two) share one contact read.
        contacts: dict[uuid.UUID, Contact] = {}
        for notice in due:
            await self._handle(notice, at, contacts)
        return len(due)

    async def process(self, notice_id: uuid.UUID, now: datetime | None = None) -> str:
        """Render (once) and send one notice; returns its status afterwards."""
        async with self._uow() as uow:
            notice = await uow.notices.get_any(notice_id)
        if notice is None:
            return "missing"
        return await self._handle(notice, now or utcnow(), {})

    async def _handle(
        self, notice: Notice, at: datetime, contacts: dict[uuid.UUID, Contact]
    ) -> str:
        """Render and send `notice` as read just now; `contacts` holds this batch's reads."""
        notice_id = notice.id
        if notice.status not in (NoticeStatus.PENDING.value, NoticeStatus.RENDERED.value):
            return notice.status
        contact = contacts.get(notice.case_id)
        if contact is None:
            try:
                contact = await self._contacts.contact(str(notice.case_id))
            except ContactNotFound:
                return await self._failed_attempt(notice_id, "contact_not_found", at, final=True)
            except ContactUnavailable:
                return await self._failed_attempt(notice_id, "contact_unavailable", at)
            contacts[notice.case_id] = contact
        email = None if notice.channel == NoticeChannel.LETTER.value else contact.email
        if email is None or notice.html is None or notice.pdf is None:
            try:
                notice = await self._render(notice_id, contact, at, as_letter=email is None)
            except LetterNotRendered as exc:
                log.error("notice.not_rendered", notice_id=str(notice_id), error=exc.args[0])
                return await self._failed_attempt(notice_id, "render_failed", at, final=True)
        if email is None:
            NOTICE_ATTEMPTS.labels(notice.kind, "letter").inc()
            return NoticeStatus.RENDERED.value
        kind = NoticeKind(notice.kind)
        sender = organisation(notice.org)
        mail = OutgoingMail(
            to=email,
            subject=notice.title,
            html=notice.html or "",
            text=plain_text(notice.title, sender.name),
            pdf=notice.pdf or b"",
            pdf_filename=pdf_filename(kind, str(notice.id)),
        )
        try:
            await self._mailer.send(mail)
        except MailNotSent:
            return await self._failed_attempt(notice_id, "smtp_failed", at)
        async with self._uow() as uow:
            row = await uow.notices.get_any(notice_id, for_update=True)
            if row is None:
                return "missing"
            row.status = NoticeStatus.SENT.value
            row.attempts += 1
            row.sent_at = utcnow()
            row.next_attempt_at = None
            row.last_error = None
            row.updated_at = row.sent_at
            await uow.commit()
        log.info("notice.sent", notice_id=str(notice_id), kind=notice.kind)
        NOTICE_ATTEMPTS.labels(notice.kind, "sent").inc()
        return NoticeStatus.SENT.value

    async def _render(
        self, notice_id: uuid.UUID, contact: Contact, now: datetime, *, as_letter: bool
    ) -> Notice:
        """The letter's HTML (once) and, for an e-mail, its PDF; one transaction.

        A letter is done here: it waits to be printed (its PDF is laid out at the first
        download), so it is settled in the same transaction.
        """
        async with self._uow() as uow:
            row = await uow.notices.get_any(notice_id, for_update=True)
            if row is None:
                raise NotFound("notice not found")
            template = TEMPLATES[NoticeKind(row.kind)]
            try:
                if row.html is None:
                    row.html = self._renderer.html(template.file, letter_context(row, contact))
                if not as_letter and row.pdf is None:
                    row.pdf = await asyncio.to_thread(
                        html_to_pdf, row.html, row.title, row.created_at
                    )
                    row.pdf_sha256 = hashlib.sha256(row.pdf).hexdigest()
            except Exception as exc:
                # Facts or template that cannot make a letter: retrying would not help, and
                # the notice must not hold up the others of the batch.
                raise LetterNotRendered(type(exc).__name__) from exc
            if row.rendered_at is None:
                row.rendered_at = now
            row.status = NoticeStatus.RENDERED.value
            row.updated_at = now
            if as_letter:
                row.channel = NoticeChannel.LETTER.value
                row.attempts += 1
                row.next_attempt_at = None
                row.last_error = None
            else:
                row.channel = channel_for(contact).value
            await uow.commit()
        log.info("notice.rendered", notice_id=str(notice_id), channel=row.channel)
        return row

    async def _failed_attempt(
        self, notice_id: uuid.UUID, error: str, now: datetime, *, final: bool = False
    ) -> str:
        async with self._uow() as uow:
            row = await uow.notices.get_any(notice_id, for_update=True)
            if row is None:
                return "missing"
            row.attempts += 1
            row.last_error = error
            row.updated_at = now
            retry_at = None if final else self._policy.next_attempt_at(row.attempts, now)
            row.next_attempt_at = retry_at
            if retry_at is None:
                row.status = NoticeStatus.FAILED.value
            await uow.commit()
            status = row.status
        NOTICE_ATTEMPTS.labels(row.kind, error).inc()
        log.warning("notice.attempt_failed", notice_id=str(notice_id), error=error, status=status)
        return status
