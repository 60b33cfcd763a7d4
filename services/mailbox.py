"""The dev stack's mailbox: an SMTP server on loopback that files every mail it accepts.

`python -m services up` starts it unless an SMTP server is configured for notifications_api
(`NOTIFICATIONS_NOTICES__SMTP__HOST`), so the notices of `make run` arrive somewhere one can
open them: each accepted message is written to `<var>/mail/new/` as one `.eml` file, the
Maildir way (complete under `tmp/`, then renamed), so a reader never sees half a message.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_MAILBOX_PORT = 10025
SETTINGS_PREFIX = "NOTIFICATIONS_NOTICES__SMTP__"


class _FileHandler:
    """aiosmtpd handler: each message's bytes to one file under `directory/new`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        if not isinstance(content, bytes):
            content = str(content).encode()
        name = f"{time.time_ns()}.{os.getpid()}.{next(self._counter)}.eml"
        temporary = self.directory / "tmp" / name
        temporary.write_bytes(content)
        temporary.rename(self.directory / "new" / name)
        return "250 Message accepted for delivery"


class DevMailbox:
    """Runs the SMTP server in its own thread while the stack runs."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = directory
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> None:
        """Create the folders and listen; raises OSError when the port is taken."""
        for sub in ("tmp", "new"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        controller = Controller(_FileHandler(self.directory), hostname=self.host, port=self.port)
        controller.start()
        self.port = controller.port
        self._controller = controller

    def stop(self) -> None:
        """Stop listening (mails already filed stay)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings_env(self) -> dict[str, str]:
        """The variables that point notifications_api at this mailbox."""
        return {
            SETTINGS_PREFIX + "HOST": self.host,
            SETTINGS_PREFIX + "PORT": str(self.port),
            SETTINGS_PREFIX + "STARTTLS": "false",
        }

    def mails(self) -> list[Path]:
        """The filed messages, oldest first."""
        return sorted((self.directory / "new").glob("*.eml"))

    def __enter__(self) -> DevMailbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
