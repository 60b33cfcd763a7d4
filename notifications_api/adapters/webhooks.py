"""The webhook HTTP sender: Standard Webhooks signatures over an injected httpx client."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from notifications_api.domain.deliveries import SendResult, WebhookRequest
from notifications_api.domain.errors import BlockedWebhookAddress, InvalidWebhookUrl
from notifications_api.domain.signing import webhook_headers
from notifications_api.domain.urls import UrlPolicy, check_resolved_addresses, check_webhook_url
from shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class HttpxWebhookSender:
    """Posts the structured-mode CloudEvent with webhook-id/-timestamp/-signature headers.

    Redirects are not followed and the response body is never read. Outside dev the host
    is resolved first and refused if any address is not public; httpx resolves again when
    it connects, so this narrows DNS rebinding but does not close it (an egress proxy does).
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
    ) -> None:
        self._client = client
        self._policy = policy
        self._timeout = timeout_seconds
        self._user_agent = user_agent
        self._resolve = resolver
        self._now = now

    async def send(self, request: WebhookRequest) -> SendResult:
        """One attempt; failures come back as a result, never as an exception."""
        started = time.perf_counter()

        def result(status_code: int | None, error: str | None) -> SendResult:
            return SendResult(status_code, error, (time.perf_counter() - started) * 1000)

        try:
            await self._check_target(request.url)
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
        try:
            async with asyncio.timeout(self._timeout * 2):
                async with self._client.stream(
                    "POST",
                    request.url,
                    content=request.body,
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                ) as response:
                    status = response.status_code
        except (httpx.TimeoutException, TimeoutError):
            return result(None, "timeout")
        except httpx.HTTPError as exc:
            return result(None, f"transport_error:{type(exc).__name__}")
        if 300 <= status < 400:
            return result(status, "redirect_not_followed")
        return result(status, None if 200 <= status < 300 else f"http_{status}")

    async def _check_target(self, url: str) -> None:
        check_webhook_url(url, self._policy)
        if self._policy.allow_private:
            return
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        check_resolved_addresses(await self._resolve(host, port), self._policy)
