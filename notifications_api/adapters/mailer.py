"""E-mail over SMTP (stdlib smtplib in a worker thread): HTML body, text part, PDF attached."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from notifications_api.domain.notices import MailNotSent, OutgoingMail


class SmtpMailer:
    """Sends through one SMTP server; STARTTLS and login when configured."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        from_address: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._from = from_address
        self._starttls = starttls
        self._username = username
        self._password = password
        self._timeout = timeout_seconds

    def message(self, mail: OutgoingMail) -> EmailMessage:
        """The MIME message: text and HTML alternatives, the PDF as an attachment."""
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain=self._from.rpartition("@")[2] or None)
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        message.add_attachment(
            mail.pdf, maintype="application", subtype="pdf", filename=mail.pdf_filename
        )
        return message

    async def send(self, mail: OutgoingMail) -> None:
        """Send in a thread so the event loop never blocks on the SMTP dialogue."""
        try:
            # An address the message cannot carry (ValueError) fails like a refusal.
            message = self.message(mail)
            await asyncio.to_thread(self._send, message)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise MailNotSent(f"smtp: {type(exc).__name__}") from exc

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._username:
                smtp.login(self._username, self._password or "")
            smtp.send_message(message)
