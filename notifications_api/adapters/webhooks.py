"""The webhook HTTP sender: Standard Webhooks signatures over an injected httpx client."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from opentelemetry.trace import SpanKind, Status, StatusCode

from notifications_api.domain.deliveries import SendResult, WebhookRequest
from notifications_api.domain.errors import BlockedWebhookAddress, InvalidWebhookUrl
from notifications_api.domain.signing import webhook_headers
from notifications_api.domain.urls import UrlPolicy, check_resolved_addresses, check_webhook_url
from shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE
from shared.tracing import TRACEPARENT, Tracing, current_tracing, traceparent_of_span

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: a checked address, and the name the receiver expects."""

    url: str
    host_header: str
    sni_hostname: str


def pinned_targets(url: str, addresses: list[str]) -> list[Target]:
    """The URL once per resolved address, with the original host for `Host` and TLS.

    Connecting to the address that was checked (instead of letting the client resolve the
    name again) closes DNS rebinding: the name cannot point elsewhere between check and use.
    The TLS certificate is still verified against the name.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == default_port else f"{shown}:{port}"
    targets: list[Target] = []
    for raw in dict.fromkeys(a.split("%", 1)[0] for a in addresses):
        literal = f"[{raw}]" if ":" in raw else raw
        pinned = parts._replace(netloc=f"{literal}:{port}")
        targets.append(Target(urlunsplit(pinned), host_header, host))
    return targets


class HttpxWebhookSender:
    """Posts the structured-mode CloudEvent with webhook-id/-timestamp/-signature headers.

    Redirects are not followed and the response body is never read. The host is resolved
    once; outside dev every address must be public; the request then goes to a checked
    address (the next one if connecting fails), never to a second resolution.

    Each attempt is a client span (of `tracing`, else of the runtime running the worker)
    in the current trace, and the receiver gets its `traceparent`.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        policy: UrlPolicy,
        timeout_seconds: float,
        user_agent: str,
        resolver: Resolver = resolve_host,
        now: Callable[[], float] = time.time,
        tracing: Tracing | None = None,
    ) -> None:
        self._client = client
        self._tracing = tracing
        self._policy = policy
        self._timeout = timeout_seconds
        self._user_agent = user_agent
        self._resolve = resolver
        self._now = now

    async def send(self, request: WebhookRequest) -> SendResult:
        """One attempt; failures come back as a result, never as an exception."""
        tracing = self._tracing or current_tracing()
        parts = urlsplit(request.url)
        # The receiver's host and port only: a path or query may hold a receiver's token.
        attributes: dict[str, str | int] = {
            "http.request.method": "POST",
            "server.address": parts.hostname or "",
            "webhook.id": request.message_id,
        }
        with tracing.span("POST", kind=SpanKind.CLIENT, attributes=attributes) as span:
            result = await self._send(request, traceparent_of_span(span))
            if result.status_code is not None:
                span.set_attribute("http.response.status_code", result.status_code)
            if result.error is not None:
                span.set_attribute("error.type", result.error)
                span.set_status(Status(StatusCode.ERROR))
            return result

    async def _send(self, request: WebhookRequest, traceparent: str | None) -> SendResult:
        started = time.perf_counter()

        def result(status_code: int | None, error: str | None) -> SendResult:
            return SendResult(status_code, error, (time.perf_counter() - started) * 1000)

        try:
            targets = await self._targets(request.url)
        except InvalidWebhookUrl:
            return result(None, "invalid_url")
        except BlockedWebhookAddress:
            return result(None, "blocked_address")
        except OSError:
            return result(None, "dns_error")
        timestamp = int(self._now())
        headers = {
            **webhook_headers(request.secret, request.message_id, timestamp, request.body),
            "content-type": CLOUDEVENTS_CONTENT_TYPE,
            "user-agent": self._user_agent,
        }
        if traceparent is not None:
            headers[TRACEPARENT] = traceparent
        try:
            async with asyncio.timeout(self._timeout * 2):
                status = await self._post(targets, request.body, headers)
        except (httpx.TimeoutException, TimeoutError):
            return result(None, "timeout")
        except httpx.HTTPError as exc:
            return result(None, f"transport_error:{type(exc).__name__}")
        if 300 <= status < 400:
            return result(status, "redirect_not_followed")
        return result(status, None if 200 <= status < 300 else f"http_{status}")

    async def _post(self, targets: list[Target], body: bytes, headers: dict[str, str]) -> int:
        """The status of the first target that accepts the connection."""
        refused: httpx.ConnectError | None = None
        for target in targets:
            try:
                async with self._client.stream(
                    "POST",
                    target.url,
                    content=body,
                    headers={**headers, "host": target.host_header},
                    timeout=self._timeout,
                    follow_redirects=False,
                    extensions={"sni_hostname": target.sni_hostname},
                ) as response:
                    return response.status_code
            except httpx.ConnectError as exc:
                refused = exc
        raise refused or httpx.ConnectError("no address to connect to")

    async def _targets(self, url: str) -> list[Target]:
        check_webhook_url(url, self._policy)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await self._resolve(host, port)
        if not addresses:
            raise BlockedWebhookAddress("host did not resolve")
        check_resolved_addresses(addresses, self._policy)
        return pinned_targets(url, addresses)
