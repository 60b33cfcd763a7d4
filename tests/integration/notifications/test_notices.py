"""Notices to the person: triggers, rendering, e-mail over a real SMTP server, letters, retries.

The contact data comes from a real HTTP server on loopback answering handover_api's contact
endpoint; e-mail goes to an aiosmtpd server on loopback; notices live in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import select

from handover_api.adapters.tables import AuditEntry
from handover_api.api.schemas import CASE_EXAMPLE
from handover_api.app import create_app as create_handover_app
from handover_api.use_cases import audit
from notifications_api.adapters.contacts import ClientCredentialsToken, HandoverContactSource
from notifications_api.adapters.mailer import SmtpMailer
from notifications_api.adapters.tables import Consultation, Notice, NoticeRead
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.app import create_app, make_notice_sender
from notifications_api.domain.notices import (
    ContactNotFound,
    MailNotSent,
    NoticeKind,
    OutgoingMail,
)
from notifications_api.settings import (
    ContactApiSettings,
    NoticeSettings,
    NotificationsSettings,
    SmtpSettings,
)
from notifications_api.use_cases.notices import (
    NoticeSender,
    new_notice,
    notice_for_consultation,
    notices_for_transfer,
)
from services.issuer import DevIssuer
from services.stack import NOTICE_SERVICE_ORG
from shared.db import migrations
from shared.events.envelope import Envelope
from shared.events.handover import (
    CaseTransferredV1,
    IntegrationPlanV1,
    ManifestDocumentV1,
    PlanMeasureV1,
)
from shared.messaging.memory import InMemoryPublisher
from tests.conftest import DatabaseFactory
from tests.examples import with_fresh_kundennummer
from tests.integration.handover.conftest import handover_settings
from tests.integration.notifications.conftest import (
    AGENCY,
    JOBCENTER,
    OTHER,
    Harness,
    Receiver,
    event_of,
    notifications_settings,
    upcoming,
)
from tests.pdf import page_text

SERVICE_TOKEN = "service-token-for-tests"
TRANSFERRED_AT = datetime(2026, 4, 30, 22, 5, tzinfo=UTC)  # 1 May 2026, 00:05 in Berlin
ERIKA = {
    "given_name": "Erika",
    "family_name": "Müßig",
    "email": "erika.muessig@example.org",
    "phone": "+49 2302 000000",
    "street": "Ruhrstraße 1",
    "postal_code": "58452",
    "town": "Witten",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ContactServer:
    """handover_api's contact endpoint and an OAuth2 token endpoint, on loopback."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]], str | None]] = field(default_factory=list)
    token_requests: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve_contacts() -> Iterator[ContactServer]:
    """A ContactServer listening on a free loopback port until the block ends."""
    state = ContactServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            auth = self.headers.get("Authorization")
            state.requests.append((url.path, query, auth))
            if auth not in (f"Bearer {SERVICE_TOKEN}", "Bearer minted-by-client-credentials"):
                self._answer(401, {"title": "unauthorised"})
                return
            parts = url.path.strip("/").split("/")
            if len(parts) == 4 and parts[:2] == ["v1", "cases"] and parts[3] == "contact":
                contact = state.contacts.get(parts[2])
                if contact is not None and query.get("purpose") == ["notice"]:
                    self._answer(200, contact)
                    return
            self._answer(404, {"title": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            if self.path == "/token" and form.get("grant_type") == ["client_credentials"]:
                state.token_requests += 1
                self._answer(
                    200,
                    {
                        "access_token": "minted-by-client-credentials",
                        "token_type": "Bearer",
                        "expires_in": 300,
                    },
                )
                return
            self._answer(400, {"error": "unsupported_grant_type"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Mailbox:
    """What the SMTP server accepted; `refuse` answers 451 to that many messages first."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 Requested action aborted: try again later"
        content = envelope.content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@pytest.fixture
def contact_server() -> Iterator[ContactServer]:
    with serve_contacts() as server:
        yield server


@contextlib.contextmanager
def serve_smtp() -> Iterator[tuple[Mailbox, int]]:
    """An aiosmtpd server on a free loopback port, and what it accepted."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with serve_smtp() as served:
        yield served


def notice_settings(contacts_url: str, smtp_port: int, **overrides: Any) -> NoticeSettings:
    values: dict[str, Any] = {
        "JOB_ENABLED": False,
        "MAX_ATTEMPTS": 3,
        "BACKOFF_SCHEDULE_SECONDS": (60.0, 300.0),
        "SMTP": SmtpSettings(
            HOST="127.0.0.1", PORT=smtp_port, FROM_ADDRESS="noreply@jobcenter-en.example"
        ),
        "CONTACTS": ContactApiSettings(BASE_URL=contacts_url, TOKEN=SERVICE_TOKEN),
    }
    values.update(overrides)
    return NoticeSettings(**values)


@dataclass
class Notices:
    """The harness plus the notice side: sender, mailbox and contact server."""

    harness: Harness
    settings: NotificationsSettings
    mailbox: Mailbox
    contacts: ContactServer
    client: httpx.AsyncClient

    def sender(self, settings: NotificationsSettings | None = None) -> NoticeSender:
        return make_notice_sender(settings or self.settings, self.harness.runtime, self.client)

    async def notices(self, case_id: uuid.UUID) -> list[Notice]:
        async with NotificationsUnitOfWork(self.harness.runtime.sessions) as uow:
            rows = await uow.session.scalars(
                select(Notice).where(Notice.case_id == case_id).order_by(Notice.kind)
            )
            return list(rows.all())


@pytest.fixture
async def notices(
    migrated_url: str,
    issuer: DevIssuer,
    contact_server: ContactServer,
    smtp: tuple[Mailbox, int],
) -> AsyncIterator[Notices]:
    mailbox, port = smtp
    settings = notifications_settings(migrated_url, issuer).model_copy(
        update={"NOTICES": notice_settings(contact_server.url, port)}
    )
    receiver = Receiver()
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle)) as hooks:
        app: FastAPI = create_app(settings, publisher=InMemoryPublisher(), http_client=hooks)
        async with app.router.lifespan_context(app), httpx.AsyncClient() as contacts_client:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                harness = Harness(app, settings, issuer, client, receiver, hooks)
                yield Notices(harness, settings, mailbox, contact_server, contacts_client)


def transfer_event(case_id: uuid.UUID) -> Envelope[Any]:
    plan = IntegrationPlanV1(
        plan_id=uuid.uuid4(),
        plan_type="EINV",
        version=3,
        measures=(
            PlanMeasureV1(measure_id=uuid.uuid4(), type="BEWERBUNGSTRAINING"),
            PlanMeasureV1(measure_id=uuid.uuid4(), type="SPRACHKURS_B2"),
        ),
    )
    documents = tuple(
        ManifestDocumentV1(
            document_id=uuid.uuid4(),
            type=kind,
            sha256="0" * 64,
            size=1024,
            media_type="application/pdf",
            url=f"http://127.0.0.1:8001/v1/documents/{uuid.uuid4()}/content",
        )
        for kind in ("ALG1_BESCHEID", "LEBENSLAUF", "ARBEITSBESCHEINIGUNG")
    )
    return event_of(
        CaseTransferredV1(
            case_id=case_id,
            handover_id=uuid.uuid4(),
            from_org=AGENCY,
            to_org=JOBCENTER,
            reason="ALG1_EXHAUSTED",
            legal_domain_from="SGB_III",
            legal_domain_to="SGB_II",
            transferred_at=TRANSFERRED_AT,
            integration_plan=plan,
            documents=documents,
            manifest_signature="test-signature",
            responsible_from=date(2026, 5, 1),
        ),
        case_id,
    )


def sent_count(kind: str) -> float:
    value = REGISTRY.get_sample_value("notice_attempts_total", {"kind": kind, "outcome": "sent"})
    return value or 0.0


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def pdf_of(message: EmailMessage) -> tuple[str, bytes]:
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    part = attachments[0]
    assert part.get_content_type() == "application/pdf"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(part.get_filename()), payload


class TestTransferNotices:
    async def test_change_of_responsibility_and_disclosure_arrive_by_email(
        self, notices: Notices
    ) -> None:
        case_id = uuid.uuid4()
        notices.contacts.contacts[str(case_id)] = ERIKA
        assert await notices.harness.consume(transfer_event(case_id)) == "processed"
        recorded = await notices.notices(case_id)
        assert [(n.kind, n.status, n.org) for n in recorded] == [
            ("change_of_responsibility", "pending", JOBCENTER),
            ("disclosure_information", "pending", JOBCENTER),
        ]

        before = sent_count("change_of_responsibility")
        assert await notices.sender().run_once() == 2
        assert sent_count("change_of_responsibility") == before + 1

        mailbox = notices.mailbox
        assert mailbox.recipients == [[ERIKA["email"]], [ERIKA["email"]]]
        by_subject = {str(m["Subject"]): m for m in mailbox.messages}
        assert set(by_subject) == {
            "Mitteilung über den Wechsel der Zuständigkeit",
            "Information über die Übermittlung Ihrer Daten",
        }
        change = by_subject["Mitteilung über den Wechsel der Zuständigkeit"]
        assert change["To"] == ERIKA["email"]
        html = html_of(change)
        assert "Guten Tag Erika Müßig" in html
        assert "ab dem 01.05.2026" in html
        assert "Jobcenter EN (Ennepe-Ruhr-Kreis)" in html
        assert "vollständig an das Jobcenter EN (Ennepe-Ruhr-Kreis) übergeben" in html
        assert "(3 Dokumente)" in html
        assert "wird fortgesetzt" in html
        assert "Maßnahmen (2) laufen weiter" in html
        disclosure = html_of(by_subject["Information über die Übermittlung Ihrer Daten"])
        assert "§ 69 Abs. 1 Nr. 1 SGB X" in disclosure
        assert "ALG1_BESCHEID, ARBEITSBESCHEINIGUNG, LEBENSLAUF" in disclosure
        assert "Ansprechperson im Jobcenter EN" in disclosure

        filename, pdf = pdf_of(change)
        assert filename.startswith("change-of-responsibility-")
        assert pdf.startswith(b"%PDF-")
        stored = {n.kind: n for n in await notices.notices(case_id)}
        sent = stored["change_of_responsibility"]
        assert (sent.status, sent.channel, sent.attempts) == ("sent", "email", 1)
        assert sent.sent_at is not None
        assert sent.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
        assert sent.template_version == "change_of_responsibility/1"

        # The contact data was read from the owner's endpoint, for this purpose, with the token.
        assert {
            (path, tuple(q["purpose"]), auth) for path, q, auth in notices.contacts.requests
        } == {(f"/v1/cases/{case_id}/contact", ("notice",), f"Bearer {SERVICE_TOKEN}")}

    async def test_a_redelivered_event_records_no_second_notice(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        event = transfer_event(case_id)
        await notices.harness.consume(event)
        async with NotificationsUnitOfWork(notices.harness.runtime.sessions) as uow:
            # Past the inbox (e.g. a replay from the DLQ): the notices stay one per kind.
            assert await notices_for_transfer(uow, event) == []
            await uow.commit()
        assert await notices.harness.consume(event) == "duplicate"
        assert len(await notices.notices(case_id)) == 2

    async def test_without_email_a_letter_waits_for_printing(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        # handover_api's shape: the postal address nested, no e-mail address.
        flat = ("street", "postal_code", "town")
        notices.contacts.contacts[str(case_id)] = {
            **{k: v for k, v in ERIKA.items() if k not in flat},
            "email": None,
            "address": {k: ERIKA[k] for k in flat},
        }
        await notices.harness.consume(transfer_event(case_id))
        await notices.sender().run_once()
        assert notices.mailbox.messages == []
        for notice in await notices.notices(case_id):
            assert (notice.status, notice.channel, notice.next_attempt_at) == (
                "rendered",
                "letter",
                None,
            )
            # The letter's PDF is laid out when it is printed (first downloaded).
            assert (notice.pdf, notice.pdf_sha256) == (None, None)
            assert notice.html is not None
            assert "Ruhrstraße 1" in notice.html
            assert "58452 Witten" in notice.html
        # Nothing is due any more.
        assert await notices.sender().run_once() == 0

    async def test_a_letter_is_laid_out_at_its_first_download_and_stays_the_same(
        self, notices: Notices
    ) -> None:
        case_id = uuid.uuid4()
        notices.contacts.contacts[str(case_id)] = {**ERIKA, "email": None}
        await notices.harness.consume(transfer_event(case_id))
        await notices.sender().run_once()
        client, auth = notices.harness.client, notices.harness.auth
        listed = await client.get(
            "/v1/notices", params={"case_id": str(case_id)}, headers=auth(JOBCENTER)
        )
        [letter] = [i for i in listed.json()["items"] if i["kind"] == "change_of_responsibility"]
        assert (letter["channel"], letter["pdf_sha256"]) == ("letter", None)

        path = f"/v1/notices/{letter['id']}/document"
        first, second = [await client.get(path, headers=auth(JOBCENTER)) for _ in range(2)]
        assert first.status_code == second.status_code == 200
        assert first.content.startswith(b"%PDF-")
        assert "Müßig".encode("latin-1") in page_text(first.content)
        assert first.content == second.content
        digest = hashlib.sha256(first.content).hexdigest()
        assert first.headers["etag"] == f'"{digest}"'
        again = await client.get(f"/v1/notices/{letter['id']}", headers=auth(JOBCENTER))
        assert again.json()["pdf_sha256"] == digest
        async with NotificationsUnitOfWork(notices.harness.runtime.sessions) as uow:
            reads = (
                await uow.session.scalars(
                    select(NoticeRead).where(NoticeRead.notice_id == uuid.UUID(letter["id"]))
                )
            ).all()
        assert [r.action for r in reads] == ["document.read"] * 2


class TestRetries:
    async def test_smtp_refusal_is_retried_when_due_and_then_sent(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        notices.contacts.contacts[str(case_id)] = ERIKA
        notices.mailbox.refuse = 2
        await notices.harness.consume(transfer_event(case_id))
        first = datetime.now(UTC)
        await notices.sender().run_once(first)
        for notice in await notices.notices(case_id):
            assert (notice.status, notice.attempts, notice.last_error) == (
                "rendered",
                1,
                "smtp_failed",
            )
            assert notice.next_attempt_at == first + timedelta(seconds=60)
        # Not yet due: nothing is tried.
        assert await notices.sender().run_once(first + timedelta(seconds=59)) == 0
        assert await notices.sender().run_once(first + timedelta(seconds=61)) == 2
        statuses = [(n.status, n.attempts) for n in await notices.notices(case_id)]
        assert statuses == [("sent", 2), ("sent", 2)]
        assert len(notices.mailbox.messages) == 2

    async def test_attempts_are_bounded_then_the_notice_has_failed(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        notices.contacts.contacts[str(case_id)] = ERIKA
        closed = notices.settings.model_copy(
            update={
                "NOTICES": notice_settings(
                    notices.contacts.url, free_port(), BACKOFF_SCHEDULE_SECONDS=(0.0,)
                )
            }
        )
        await notices.harness.consume(transfer_event(case_id))
        sender = notices.sender(closed)
        now = datetime.now(UTC)
        for _ in range(3):
            assert await sender.run_once(now) == 2
        assert await sender.run_once(now) == 0
        for notice in await notices.notices(case_id):
            assert (notice.status, notice.attempts, notice.last_error) == (
                "failed",
                3,
                "smtp_failed",
            )
            assert notice.pdf is not None  # the rendered letter is kept

    async def test_unknown_contact_fails_at_once(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        await notices.harness.consume(transfer_event(case_id))
        await notices.sender().run_once()
        for notice in await notices.notices(case_id):
            assert (notice.status, notice.last_error, notice.pdf) == (
                "failed",
                "contact_not_found",
                None,
            )

    async def test_a_letter_that_cannot_be_rendered_fails_and_holds_up_no_other(
        self, notices: Notices
    ) -> None:
        broken_case, case_id = uuid.uuid4(), uuid.uuid4()
        for case in (broken_case, case_id):
            notices.contacts.contacts[str(case)] = ERIKA
        early = datetime.now(UTC) - timedelta(minutes=5)
        async with NotificationsUnitOfWork(notices.harness.runtime.sessions) as uow:
            broken = new_notice(
                case_id=broken_case,
                org=JOBCENTER,
                kind=NoticeKind.CHANGE_OF_RESPONSIBILITY,
                facts={"to_org": JOBCENTER},  # the rest is missing
                source_event_id=uuid.uuid4(),
                created_by="test",
                now=early,
            )
            uow.notices.add(broken)
            await uow.commit()
        await notices.harness.consume(transfer_event(case_id))

        assert await notices.sender().run_once() == 3
        [failed] = await notices.notices(broken_case)
        assert (failed.status, failed.last_error, failed.next_attempt_at) == (
            "failed",
            "render_failed",
            None,
        )
        assert [n.status for n in await notices.notices(case_id)] == ["sent", "sent"]

    async def test_contact_endpoint_down_is_retried(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        down = notices.settings.model_copy(
            update={"NOTICES": notice_settings(f"http://127.0.0.1:{free_port()}", free_port())}
        )
        await notices.harness.consume(transfer_event(case_id))
        await notices.sender(down).run_once()
        for notice in await notices.notices(case_id):
            assert (notice.status, notice.attempts, notice.last_error) == (
                "pending",
                1,
                "contact_unavailable",
            )


class TestNoticesApi:
    async def test_list_read_and_download_are_scoped_and_audited(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        notices.contacts.contacts[str(case_id)] = ERIKA
        await notices.harness.consume(transfer_event(case_id))
        await notices.sender().run_once()
        client, auth = notices.harness.client, notices.harness.auth

        listed = await client.get(
            "/v1/notices", params={"case_id": str(case_id), "limit": 1}, headers=auth(JOBCENTER)
        )
        assert listed.status_code == 200
        first = listed.json()
        assert len(first["items"]) == 1
        assert first["next_cursor"]
        rest = await client.get(
            "/v1/notices",
            params={"case_id": str(case_id), "cursor": first["next_cursor"]},
            headers=auth(JOBCENTER),
        )
        items = first["items"] + rest.json()["items"]
        assert {i["kind"] for i in items} == {"change_of_responsibility", "disclosure_information"}
        assert all(i["status"] == "sent" and i["channel"] == "email" for i in items)
        for org in (AGENCY, OTHER):
            other = await client.get(
                "/v1/notices", params={"case_id": str(case_id)}, headers=auth(org)
            )
            assert other.json()["items"] == []

        notice = items[0]
        one = await client.get(f"/v1/notices/{notice['id']}", headers=auth(JOBCENTER))
        assert one.status_code == 200
        assert one.json()["pdf_sha256"] == notice["pdf_sha256"]
        assert "Müßig" not in one.text
        document = await client.get(f"/v1/notices/{notice['id']}/document", headers=auth(JOBCENTER))
        assert document.status_code == 200
        assert document.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(document.content).hexdigest() == notice["pdf_sha256"]
        for path in (f"/v1/notices/{notice['id']}", f"/v1/notices/{notice['id']}/document"):
            hidden = await client.get(path, headers=auth(AGENCY))
            assert hidden.status_code == 404
            assert hidden.headers["content-type"] == "application/problem+json"
        no_scope = await client.get(
            f"/v1/notices/{notice['id']}/document", headers=auth(JOBCENTER, ["invitations:read"])
        )
        assert no_scope.status_code == 403

        async with NotificationsUnitOfWork(notices.harness.runtime.sessions) as uow:
            reads = (
                await uow.session.scalars(
                    select(NoticeRead).where(NoticeRead.notice_id == uuid.UUID(notice["id"]))
                )
            ).all()
        assert [(r.org, r.client, r.action) for r in reads] == [
            (JOBCENTER, f"client:{JOBCENTER}", "document.read")
        ]

    async def test_post_produces_a_notice_once_per_idempotency_key(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        notices.contacts.contacts[str(case_id)] = {**ERIKA, "email": None}
        await notices.harness.consume(transfer_event(case_id))
        client, auth = notices.harness.client, notices.harness.auth
        body = {"case_id": str(case_id), "kind": "change_of_responsibility"}
        headers = {**auth(JOBCENTER), "Idempotency-Key": "notice-again-1"}
        first = await client.post("/v1/notices", json=body, headers=headers)
        assert first.status_code == 201, first.text
        again = await client.post("/v1/notices", json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        assert first.headers["Location"] == f"/v1/notices/{first.json()['id']}"
        assert first.json()["status"] == "pending"
        kinds = [n.kind for n in await notices.notices(case_id)]
        assert kinds.count("change_of_responsibility") == 2

        await notices.sender().run_once()
        produced = await client.get(f"/v1/notices/{first.json()['id']}", headers=auth(JOBCENTER))
        assert (produced.json()["status"], produced.json()["channel"]) == ("rendered", "letter")

    async def test_the_documented_example_produces_a_stated_transfer_notice(
        self, notices: Notices
    ) -> None:
        client, auth = notices.harness.client, notices.harness.auth
        spec = (await client.get("/openapi.json")).json()
        example = spec["components"]["schemas"]["NoticeCreate"]["examples"][0]
        notices.contacts.contacts[example["case_id"]] = ERIKA
        created = await client.post("/v1/notices", json=example, headers=auth(AGENCY))
        assert created.status_code == 201, created.text
        assert created.json()["org"] == AGENCY

        assert await notices.sender().run_once() >= 1
        [mail] = notices.mailbox.messages
        html = html_of(mail)
        assert "ab dem 01.05.2026" in html
        assert "(2 Dokumente)" in html
        assert "Maßnahmen (2) laufen weiter" in html
        assert "Mit freundlichen Grüßen<br>\nAgentur für Arbeit Hagen" in html.replace("\r\n", "\n")

        outsider = await client.post("/v1/notices", json=example, headers=auth(OTHER))
        assert outsider.status_code == 422
        assert outsider.json()["type"].endswith(":notice-facts-unknown")

    async def test_post_without_known_facts_is_a_problem(self, notices: Notices) -> None:
        client, auth = notices.harness.client, notices.harness.auth
        for kind in ("invitation", "appointment_confirmation", "disclosure_information"):
            response = await client.post(
                "/v1/notices",
                json={"case_id": str(uuid.uuid4()), "kind": kind},
                headers=auth(JOBCENTER),
            )
            assert response.status_code == 422
            assert response.json()["type"].endswith(":notice-facts-unknown")
        extra = await client.post(
            "/v1/notices",
            json={"case_id": str(uuid.uuid4()), "kind": "invitation", "email": "x@example.org"},
            headers=auth(JOBCENTER),
        )
        assert extra.status_code == 422


SESSION_AT = datetime(2030, 3, 12, 8, 30, tzinfo=UTC)  # 09:30 in Witten (CET)


async def schedule_session(harness: Harness) -> dict[str, Any]:
    response = await harness.client.post(
        "/v1/info-sessions",
        json={
            "location": "WITTEN",
            "starts_at": SESSION_AT.isoformat(),
            "capacity": 5,
            "agentur_org": AGENCY,
            "jobcenter_org": JOBCENTER,
        },
        headers=harness.auth(AGENCY),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestInvitationAndAppointment:
    async def test_a_seated_invitation_sends_the_invitation_letter(self, notices: Notices) -> None:
        await schedule_session(notices.harness)
        case_id = uuid.uuid4()
        notices.contacts.contacts[str(case_id)] = ERIKA
        event = upcoming(case_id, invitation_date=date(2030, 3, 1), alg1_end_date=date(2030, 5, 31))
        assert await notices.harness.consume(event) == "processed"
        [notice] = await notices.notices(case_id)
        assert (notice.kind, notice.org) == ("invitation", AGENCY)
        await notices.sender().run_once()
        [mail] = notices.mailbox.messages
        assert mail["Subject"] == "Einladung zur Informationsveranstaltung"
        html = html_of(mail)
        assert "12.03.2030" in html
        assert "09:30 Uhr" in html
        assert "Witten" in html
        assert "Personalausweis" in html  # what to bring
        assert "Agentur für Arbeit Hagen" in html
        assert "Jobcenter EN" in html
        assert "09.04.2030" in html  # consultation within four weeks (R2)

    async def test_a_pending_invitation_sends_nothing_yet(self, notices: Notices) -> None:
        case_id = uuid.uuid4()
        event = upcoming(case_id, invitation_date=date(2030, 3, 1), alg1_end_date=date(2030, 5, 31))
        await notices.harness.consume(event)
        assert await notices.notices(case_id) == []

    async def test_a_booked_consultation_is_confirmed_once(self, notices: Notices) -> None:
        harness = notices.harness
        await schedule_session(harness)
        case_id = uuid.uuid4()
        notices.contacts.contacts[str(case_id)] = ERIKA
        await harness.consume(
            upcoming(case_id, invitation_date=date(2030, 3, 1), alg1_end_date=date(2030, 5, 31))
        )
        invitations = await harness.client.get(
            "/v1/invitations", params={"case_id": str(case_id)}, headers=harness.auth(AGENCY)
        )
        invitation_id = invitations.json()["items"][0]["id"]
        attended = await harness.client.put(
            f"/v1/invitations/{invitation_id}/attendance",
            json={"attendance": "attended"},
            headers={**harness.auth(JOBCENTER), "If-Match": '"1"'},
        )
        assert attended.status_code == 200, attended.text
        booking = {
            "invitation_id": invitation_id,
            "starts_at": "2030-03-26T13:00:00Z",
            "ends_at": "2030-03-26T13:45:00Z",
            "channel": "in_person",
            "place": "Jobcenter EN, Standort Witten, Raum 2.14",
        }
        headers = {**harness.auth(JOBCENTER), "Idempotency-Key": "book-erika-1"}
        for _ in range(2):
            booked = await harness.client.post("/v1/consultations", json=booking, headers=headers)
            assert booked.status_code == 201, booked.text
        recorded = [n for n in await notices.notices(case_id) if n.kind != "invitation"]
        assert [(n.kind, n.org) for n in recorded] == [("appointment_confirmation", AGENCY)]
        async with NotificationsUnitOfWork(harness.runtime.sessions) as uow:
            consultation = await uow.session.get(Consultation, uuid.UUID(booked.json()["id"]))
            assert consultation is not None
            assert await notice_for_consultation(uow, consultation) is None

        await notices.sender().run_once()
        confirmations = [m for m in notices.mailbox.messages if m["Subject"] == "Terminbestätigung"]
        assert len(confirmations) == 1
        html = html_of(confirmations[0])
        assert "26.03.2030" in html
        assert "14:00 bis 14:45 Uhr" in html
        assert "persönliches Gespräch" in html
        assert "Raum 2.14" in html
        assert "Agentur für Arbeit Hagen" in html
        assert "Jobcenter EN" in html


class TestContactSource:
    async def test_client_credentials_token_is_fetched_once_and_reused(
        self, contact_server: ContactServer
    ) -> None:
        case_id = str(uuid.uuid4())
        contact_server.contacts[case_id] = ERIKA
        async with httpx.AsyncClient() as client:
            tokens = ClientCredentialsToken(
                client,
                token_url=f"{contact_server.url}/token",
                client_id="notifications-service",
                client_secret="secret",
                scope="contact:read",
                timeout_seconds=5,
            )
            source = HandoverContactSource(
                client, base_url=contact_server.url, tokens=tokens, timeout_seconds=5
            )
            first, second = await asyncio.gather(source.contact(case_id), source.contact(case_id))
            assert first.family_name == second.family_name == "Müßig"
            assert first.town == "Witten"
            assert contact_server.token_requests == 1
            with pytest.raises(ContactNotFound):
                await source.contact(str(uuid.uuid4()))


class TestSmtpMailer:
    async def test_an_address_with_a_header_injected_is_not_sent(
        self, smtp: tuple[Mailbox, int]
    ) -> None:
        mailbox, port = smtp
        mailer = SmtpMailer(host="127.0.0.1", port=port, from_address="noreply@example.org")
        mail = OutgoingMail(
            to="erika@example.org\nBcc: someone@example.org",
            subject="Terminbestätigung",
            html="<p>Guten Tag</p>",
            text="Guten Tag",
            pdf=b"%PDF-1.4 test",
            pdf_filename="appointment-confirmation-5d0c9b1e.pdf",
        )
        with pytest.raises(MailNotSent):
            await mailer.send(mail)
        await mailer.send(dataclasses.replace(mail, to="erika@example.org"))
        assert mailbox.recipients == [["erika@example.org"]]


class TestSmtpLogin:
    async def test_login_is_used_when_configured_and_a_wrong_password_is_not_sent(self) -> None:
        mailbox = Mailbox()
        logins: list[tuple[bytes, bytes]] = []

        def authenticator(
            server: SMTP, session: Session, envelope: SmtpEnvelope, mechanism: str, data: Any
        ) -> AuthResult:
            assert isinstance(data, LoginPassword)
            logins.append((data.login, data.password))
            return AuthResult(success=data.password == b"right")

        port = free_port()
        controller = Controller(
            mailbox,
            hostname="127.0.0.1",
            port=port,
            authenticator=authenticator,
            auth_require_tls=False,
        )
        controller.start()
        try:
            mail = OutgoingMail(
                to="erika.muessig@example.org",
                subject="Terminbestätigung",
                html="<p>Guten Tag</p>",
                text="Guten Tag",
                pdf=b"%PDF-1.4 test",
                pdf_filename="appointment-confirmation-5d0c9b1e.pdf",
            )

            def mailer(password: str) -> SmtpMailer:
                return SmtpMailer(
                    host="127.0.0.1",
                    port=port,
                    from_address="noreply@jobcenter-en.example",
                    username="notices",
                    password=password,
                    timeout_seconds=5,
                )

            with pytest.raises(MailNotSent):
                await mailer("wrong").send(mail)
            assert mailbox.messages == []
            await mailer("right").send(mail)
        finally:
            controller.stop()
        assert logins == [(b"notices", b"wrong"), (b"notices", b"right")]
        [received] = mailbox.messages
        assert received["Subject"] == "Terminbestätigung"
        assert pdf_of(received) == ("appointment-confirmation-5d0c9b1e.pdf", b"%PDF-1.4 test")


HANDOVER_PERSON = {
    "given_name": "Jürgen",
    "family_name": "Müller-Lüdenscheidt",
    "email": "juergen.mueller@example.org",
    "phone": "+49 2302 123456",
    "address": {"street": "Ruhrstraße 12", "postal_code": "58452", "town": "Witten"},
}


class TestWithHandoverApi:
    """The contact data from the real handover_api endpoint, audited there."""

    async def test_notices_use_the_audited_contact_read_of_handover_api(
        self,
        notices: Notices,
        postgres_database: DatabaseFactory,
        issuer: DevIssuer,
        tmp_path: Path,
    ) -> None:
        url = postgres_database("handover")
        await asyncio.to_thread(migrations.upgrade, "handover_api", url)
        handover = create_handover_app(
            handover_settings(url, issuer, tmp_path), publisher=InMemoryPublisher()
        )
        async with handover.router.lifespan_context(handover):
            transport = httpx.ASGITransport(app=handover)
            async with httpx.AsyncClient(transport=transport, base_url="http://handover") as client:
                created = await client.post(
                    "/v1/cases",
                    json={**with_fresh_kundennummer(CASE_EXAMPLE), "person": HANDOVER_PERSON},
                    headers={"Authorization": f"Bearer {issuer.token('agentur-hagen')}"},
                )
                assert created.status_code == 201, created.text
                case_id = uuid.UUID(created.json()["id"])

                await notices.harness.consume(transfer_event(case_id))
                token = issuer.token(
                    NOTICE_SERVICE_ORG, ["contact:read"], subject="service:notifications_api"
                )
                settings = notices.settings.model_copy(
                    update={
                        "NOTICES": notices.settings.NOTICES.model_copy(
                            update={
                                "CONTACTS": ContactApiSettings(
                                    BASE_URL="http://handover", TOKEN=token
                                )
                            }
                        )
                    }
                )
                sender = make_notice_sender(settings, notices.harness.runtime, client)
                assert await sender.run_once() == 2

                async with handover.state.service.make_uow() as uow:
                    await audit.seal(uow)
                async with handover.state.runtime.sessions() as session:
                    reads = (
                        await session.scalars(
                            select(AuditEntry).where(
                                AuditEntry.case_id == case_id,
                                AuditEntry.action == "case.contact_read",
                            )
                        )
                    ).all()

        # The two notices of the transfer were due in one batch: one audited read.
        assert [entry.details for entry in reads] == [{"contact_purpose": "notice"}]
        assert notices.mailbox.recipients == [[HANDOVER_PERSON["email"]]] * 2
        for message in notices.mailbox.messages:
            html = html_of(message)
            assert "Guten Tag Jürgen Müller-Lüdenscheidt" in html
            assert "Ruhrstraße 12" in html
            assert "58452 Witten" in html
        async with NotificationsUnitOfWork(notices.harness.runtime.sessions) as uow:
            rows = await uow.session.scalars(select(Notice).where(Notice.case_id == case_id))
            assert {(n.status, n.channel) for n in rows.all()} == {("sent", "email")}
