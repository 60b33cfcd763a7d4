"""Per-client rate limiting: a token bucket per client in a pure ASGI middleware.

A client is the verified JWT's `org` and `sub`; a request without a valid bearer token is
counted against its remote address. Each bucket holds up to `burst` tokens and gains `rate`
tokens a second; a request takes one, and a request finding less than one is answered
`429` (problem `rate-limited`) with `Retry-After`. Buckets live in this process only, in a
bounded LRU: with N replicas behind a load balancer a client gets up to N × rate.

Responses carry the fields of draft-ietf-httpapi-ratelimit-headers-07: `RateLimit-Limit`
(the burst), `RateLimit-Remaining` (whole tokens left) and `RateLimit-Reset` (seconds until
the bucket is full again), plus `RateLimit-Policy` (`<burst>;w=<seconds to refill it>`).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import TokenVerifier
from shared.problems import Unauthorized, problem_response

Clock = Callable[[], float]
ClientKey = Callable[[Scope], Awaitable[str]]

EXEMPT_PREFIXES: tuple[str, ...] = ("/health/", "/metrics")


@dataclass(frozen=True)
class Decision:
    """The outcome of taking one token: allowed or not, and what the headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class TokenBuckets:
    """Token buckets keyed by client, at most `max_clients` of them (least recently used go).

    An evicted client starts again with a full bucket: the bound trades a little leniency
    towards clients not seen for a while for memory that does not grow with the number of
    distinct callers (addresses are cheap to vary).
    """

    def __init__(
        self, rate: float, burst: int, max_clients: int = 10_000, clock: Clock = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1 or max_clients < 1:
            raise ValueError("rate must be positive, burst and max_clients at least 1")
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> Decision:
        """Take one token of `client`'s bucket if it has one."""
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
            self._buckets[client] = bucket
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        retry_after = 0 if allowed else max(1, math.ceil((1.0 - bucket.tokens) / self.rate))
        return Decision(
            allowed=allowed,
            limit=self.burst,
            remaining=int(bucket.tokens),
            reset_seconds=math.ceil((self.burst - bucket.tokens) / self.rate),
            retry_after_seconds=retry_after,
        )

    @property
    def window_seconds(self) -> int:
        """Seconds an empty bucket takes to fill up: the `w` of `RateLimit-Policy`."""
        return max(1, math.ceil(self.burst / self.rate))


def remote_address(scope: Scope) -> str:
    """The peer address as the server saw it (behind a proxy: what its forwarding sets)."""
    client = scope.get("client")
    return f"addr:{client[0]}" if client else "addr:unknown"


def bearer_client_key(verifier: Callable[[], TokenVerifier | None]) -> ClientKey:
    """Key by the verified token's `org` and `sub`, by remote address without a valid one.

    Only a verified token names a client: an unverified `sub` could be chosen freely, either
    to spread one caller over many buckets or to drain someone else's. The verifier remembers
    tokens it has verified, so this costs a hash and a lookup per request.
    """

    async def key(scope: Scope) -> str:
        authorization = Headers(scope=scope).get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        current = verifier()
        if scheme.lower() == "bearer" and token and current is not None:
            try:
                principal = await current.verify_async(token.strip())
            except Unauthorized:
                return remote_address(scope)
            return f"client:{principal.org}/{principal.subject}"
        return remote_address(scope)

    return key


class RateLimitMiddleware:
    """Answer `429 rate-limited` once a client's bucket is empty; exempt health and metrics."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets,
        client_key: ClientKey,
        exempt_prefixes: tuple[str, ...] = EXEMPT_PREFIXES,
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.client_key = client_key
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        decision = self.buckets.take(await self.client_key(scope))
        headers = {
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(decision.reset_seconds),
            "RateLimit-Policy": f"{decision.limit};w={self.buckets.window_seconds}",
        }
        if not decision.allowed:
            headers["Retry-After"] = str(decision.retry_after_seconds)
            response = problem_response(
                429,
                "rate-limited",
                "Too many requests",
                f"rate limit of {decision.limit} requests reached; "
                f"retry after {decision.retry_after_seconds} s",
                headers=headers,
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                mutable = MutableHeaders(scope=message)
                for name, value in headers.items():
                    mutable[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
