"""A loopback webhook receiver for the fault suite: verifies signatures, answers 2xx, 500 or 410."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from tests.e2e.webhook_receiver import ReceivedWebhook, verify_signature

Mode = Literal["ok", "error", "gone"]
STATUS_BY_MODE: dict[Mode, int] = {"ok": 204, "error": 500, "gone": 410}


@dataclass(frozen=True)
class VerifiedWebhook:
    """A webhook whose Standard Webhooks signature checked out, with its CloudEvent parsed."""

    webhook_id: str
    event_id: str
    event_type: str
    subject: str
    handover_id: str | None
    received_at: float


@dataclass
class FaultReceiver:
    """Counts every call; keeps each verified webhook the first time its `webhook-id` arrives."""

    url: str
    mode: Mode = "ok"
    secret: str | None = None
    calls: int = 0
    answered: dict[int, int] = field(default_factory=dict)
    bad_signatures: int = 0
    redelivered: int = 0
    by_webhook_id: dict[str, VerifiedWebhook] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._arrived = threading.Condition(self._lock)

    def set_mode(self, mode: Mode) -> None:
        """Answer every following call with the status of `mode`."""
        with self._lock:
            self.mode = mode

    def webhooks(self) -> list[VerifiedWebhook]:
        """Verified webhooks, one per `webhook-id`, in arrival order."""
        with self._lock:
            return list(self.by_webhook_id.values())

    def wait_for_change(self, timeout: float) -> None:
        """Block until a new webhook arrives or `timeout` passes (a poll step without sleeping)."""
        with self._arrived:
            self._arrived.wait(timeout)

    def handle(self, webhook: ReceivedWebhook) -> int:
        """Record one POST and return the status to answer."""
        with self._lock:
            self.calls += 1
            status = STATUS_BY_MODE[self.mode]
            self.answered[status] = self.answered.get(status, 0) + 1
            if status >= 300:
                return status
            if self.secret is None or not _verified(self.secret, webhook):
                self.bad_signatures += 1
                return 401
            webhook_id = webhook.headers["webhook-id"]
            if webhook_id in self.by_webhook_id:
                self.redelivered += 1
                return status
            event = json.loads(webhook.body)
            data = event.get("data") or {}
            self.by_webhook_id[webhook_id] = VerifiedWebhook(
                webhook_id=webhook_id,
                event_id=str(event["id"]),
                event_type=str(event["type"]),
                subject=str(event.get("subject")),
                handover_id=data.get("handover_id"),
                received_at=time.monotonic(),
            )
            self._arrived.notify_all()
            return status


def _verified(secret: str, webhook: ReceivedWebhook) -> bool:
    try:
        return verify_signature(secret, webhook)
    except (KeyError, ValueError):
        return False


@contextmanager
def fault_receiver() -> Iterator[FaultReceiver]:
    """Run a receiver on a free loopback port for the duration of the block."""
    holder: list[FaultReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = holder[0].handle(ReceivedWebhook(self.path, headers, body))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(FaultReceiver(f"http://127.0.0.1:{server.server_address[1]}/hooks"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
