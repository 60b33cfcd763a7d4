"""Reads the person's contact data from handover_api's audited contact endpoint.

`GET /v1/cases/{case_id}/contact?purpose=notice` with a service token carrying
`contact:read`: a static token (the dev stack mints one) or one obtained by OAuth2 client
credentials and kept until shortly before it expires. handover_api writes every read to
the case's audit trail; nothing of the answer is logged here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

import httpx

from notifications_api.domain.notices import Contact, ContactNotFound, ContactUnavailable

# A cached token is renewed this long before it expires.
TOKEN_MARGIN_SECONDS = 30.0


class TokenSource(Protocol):
    """Gives the bearer token for the next request."""

    async def token(self) -> str:
        """A valid bearer token; raises ContactUnavailable when none can be had."""
        ...


@dataclass(frozen=True)
class StaticToken:
    """A token given in the settings (the dev stack's, minted by its issuer)."""

    value: str

    async def token(self) -> str:
        """The configured token."""
        return self.value


class ClientCredentialsToken:
    """OAuth2 client credentials (RFC 6749 4.4) against a token endpoint, cached."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str,
        timeout_seconds: float,
    ) -> None:
        self._client = client
        self._token_url = token_url
        self._auth = (client_id, client_secret)
        self._scope = scope
        self._timeout = timeout_seconds
        self._value: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """The cached token, or a new one from the token endpoint."""
        async with self._lock:
            if self._value is not None and time.monotonic() < self._expires:
                return self._value
            try:
                response = await self._client.post(
                    self._token_url,
                    data={"grant_type": "client_credentials", "scope": self._scope},
                    auth=self._auth,
                    timeout=self._timeout,
                )
            except httpx.HTTPError as exc:
                raise ContactUnavailable(f"token endpoint: {type(exc).__name__}") from exc
            if response.status_code != 200:
                raise ContactUnavailable(f"token endpoint answered {response.status_code}")
            body = response.json()
            self._value = str(body["access_token"])
            lifetime = float(body.get("expires_in", 300))
            self._expires = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0.0)
            return self._value


class HandoverContactSource:
    """The contact endpoint of handover_api over httpx."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        tokens: TokenSource,
        timeout_seconds: float,
    ) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._timeout = timeout_seconds

    async def contact(self, case_id: str) -> Contact:
        """The case's contact; 404 is permanent, anything else but 200 is retried."""
        token = await self._tokens.token()
        try:
            response = await self._client.get(
                f"{self._base_url}/v1/cases/{case_id}/contact",
                params={"purpose": "notice"},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise ContactUnavailable(f"contact endpoint: {type(exc).__name__}") from exc
        if response.status_code == 404:
            raise ContactNotFound("handover_api knows no contact for the case")
        if response.status_code != 200:
            raise ContactUnavailable(f"contact endpoint answered {response.status_code}")
        try:
            body = response.json()
            # The postal address is nested (`address`) or given flat; either is read.
            nested = body.get("address")
            address = nested if isinstance(nested, dict) else body
            return Contact(
                given_name=str(body["given_name"]),
                family_name=str(body["family_name"]),
                email=_optional(body, "email"),
                phone=_optional(body, "phone"),
                street=_optional(address, "street"),
                postal_code=_optional(address, "postal_code"),
                town=_optional(address, "town"),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ContactUnavailable("contact endpoint answered an unexpected body") from exc


def _optional(body: dict[str, object], key: str) -> str | None:
    value = body.get(key)
    return None if value is None or value == "" else str(value)
