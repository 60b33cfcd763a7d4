"""A real local HTTP server that receives webhooks and verifies Standard Webhooks signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class ReceivedWebhook:
    """One POST as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes


def verify_signature(secret: str, webhook: ReceivedWebhook, tolerance: int = 300) -> bool:
    """The Standard Webhooks check, written from the spec independently of the sender."""
    msg_id = webhook.headers["webhook-id"]
    timestamp = webhook.headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + webhook.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in webhook.headers["webhook-signature"].split() if "," in s]
    return any(hmac.compare_digest(expected, sig) for sig in offered)


@dataclass
class WebhookReceiver:
    """Collects received webhooks; answers 204, or 503 for the first `fail_first` calls."""

    url: str
    fail_first: int = 0
    received: list[ReceivedWebhook] = field(default_factory=list)
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float) -> list[ReceivedWebhook]:
        """Block until `count` webhooks were accepted (or the time is up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.1)
        with self._lock:
            return list(self.received)


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[WebhookReceiver]:
    """Run a receiver on a free loopback port for the duration of the block."""
    state: dict[str, WebhookReceiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = state["receiver"]
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with receiver._lock:
                receiver.calls += 1
                failing = receiver.calls <= receiver.fail_first
                if not failing:
                    receiver.received.append(
                        ReceivedWebhook(
                            self.path, {k.lower(): v for k, v in self.headers.items()}, body
                        )
                    )
            self.send_response(503 if failing else 204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    state["receiver"] = WebhookReceiver(f"http://127.0.0.1:{port}/hooks", fail_first)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
