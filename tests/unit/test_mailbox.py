"""The dev stack's mailbox files what it accepts, whole, one message per file."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest

from services.broker import free_port
from services.cli import Console, start_mailbox
from services.mailbox import DevMailbox


def _mail(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "noreply@handover-broker.invalid"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Guten Tag,\nab dem 01.12.2026 ist das Jobcenter zuständig.")
    return message


def test_accepted_mails_are_filed_in_order(tmp_path: Path) -> None:
    with DevMailbox(tmp_path / "mail", port=free_port()) as mailbox:
        with smtplib.SMTP(mailbox.host, mailbox.port, timeout=10) as client:
            client.send_message(_mail("erika@example.org", "Erste Mitteilung"))
            client.send_message(_mail("max@example.org", "Zweite Mitteilung"))
        filed = mailbox.mails()
    assert len(filed) == 2
    first, second = (BytesParser(policy=default).parsebytes(p.read_bytes()) for p in filed)
    assert first["Subject"] == "Erste Mitteilung"
    assert second["To"] == "max@example.org"
    assert "zuständig" in second.get_body().get_content()  # type: ignore[union-attr]
    assert not list((tmp_path / "mail" / "tmp").iterdir())


def test_settings_point_notifications_at_the_mailbox(tmp_path: Path) -> None:
    port = free_port()
    with DevMailbox(tmp_path / "mail", port=port) as mailbox:
        assert mailbox.settings_env() == {
            "NOTIFICATIONS_NOTICES__SMTP__HOST": "127.0.0.1",
            "NOTIFICATIONS_NOTICES__SMTP__PORT": str(port),
            "NOTIFICATIONS_NOTICES__SMTP__STARTTLS": "false",
        }


def test_a_configured_smtp_host_means_no_mailbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"NOTIFICATIONS_NOTICES__SMTP__HOST": "smtp.example.org"}
    assert start_mailbox(env, tmp_path, Console()) is None
    assert "smtp.example.org (configured)" in capsys.readouterr().out
