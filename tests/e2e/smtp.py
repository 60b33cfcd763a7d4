"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from services.broker import free_port


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: the envelope's recipients and the parsed message."""

    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        """The decoded Subject header."""
        return str(self.message["Subject"])

    def attachments(self, media_type: str) -> list[bytes]:
        """The content of every attachment of `media_type`."""
        found: list[bytes] = []
        for part in self.message.iter_attachments():
            if part.get_content_type() == media_type:
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                found.append(payload)
        return found


@dataclass
class Mailbox:
    """What the server accepted so far (thread-safe: the server runs in its own thread)."""

    host: str = "127.0.0.1"
    port: int = 0
    _mails: list[ReceivedMail] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._mails.append(ReceivedMail(tuple(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    @property
    def mails(self) -> list[ReceivedMail]:
        """A copy of the accepted messages, oldest first."""
        with self._lock:
            return list(self._mails)

    def wait_for(
        self, matches: Callable[[ReceivedMail], bool], timeout: float
    ) -> list[ReceivedMail]:
        """Block until a message matches (or the time is up); return the matching ones."""
        deadline = time.monotonic() + timeout
        while True:
            found = [mail for mail in self.mails if matches(mail)]
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.1)

    def settings_env(self, prefix: str = "NOTIFICATIONS_") -> dict[str, str]:
        """The environment that points a notifications_api process at this server."""
        return {
            f"{prefix}NOTICES__SMTP__HOST": self.host,
            f"{prefix}NOTICES__SMTP__PORT": str(self.port),
            f"{prefix}NOTICES__SMTP__STARTTLS": "false",
        }


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """Run an aiosmtpd server on a free loopback port for the duration of the block."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
