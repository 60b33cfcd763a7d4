"""Bearer JWT verification against a JWKS, with pinned algorithms and org/scope claims."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from jwt import PyJWK, PyJWKClient, PyJWKSet

from shared.problems import Forbidden, Unauthorized
from shared.settings import AuthSettings


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: client id, organisation and granted scopes."""

    subject: str
    org: str
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        """Whether the token grants `scope`."""
        return scope in self.scopes


class _FileJwks:
    """A JWKS read from a local file, re-read when the file changes (checked once a second)."""

    CHECK_INTERVAL_SECONDS = 1.0

    def __init__(self, path: Path) -> None:
        self._path = path
        self._mtime = -1.0
        self._checked = -1.0
        self._set: PyJWKSet | None = None

    def get_signing_key(self, kid: str) -> PyJWK:
        now = time.monotonic()
        if self._set is None or now - self._checked >= self.CHECK_INTERVAL_SECONDS:
            self._checked = now
            mtime = self._path.stat().st_mtime
            if self._set is None or mtime != self._mtime:
                self._set = PyJWKSet.from_dict(json.loads(self._path.read_text()))
                self._mtime = mtime
        for key in self._set.keys:
            if key.key_id == kid:
                return key
        raise jwt.PyJWKClientError(f"unknown key id {kid!r}")


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    expires_at: float  # the token's `exp` (seconds since the epoch)
    kid: str
    key: Any  # the public key that verified the signature


class VerifiedTokens:
    """Tokens whose signature and claims were verified, each until its `exp`.

    Bounded (the least recently used entry goes first), keyed by the token's sha256, and
    holding successes only: a refused token is verified again every time it is presented.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, _Verified] = OrderedDict()
        # The URL-backed verifier verifies in worker threads.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes, now: float) -> _Verified | None:
        """The entry of a token that has not expired yet, else None (and it is dropped)."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if now >= entry.expires_at:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry

    def put(self, digest: bytes, entry: _Verified) -> None:
        """Remember a verified token, evicting the least recently used beyond the bound."""
        with self._lock:
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


class TokenVerifier:
    """Verifies access tokens; keys come from a JWKS URL or file.

    A token's signature is verified once: until its `exp` the verifier answers from
    `VerifiedTokens`, after checking that the key which verified it is still the key the JWKS
    publishes under its `kid`. So a key removed from (or replaced in) the JWKS refuses the
    tokens it signed as soon as it would refuse a new one: within a second for a file, after
    PyJWKClient's key cache for a URL. After `exp` the token is verified in full again, so the
    leeway applies exactly as without the cache.
    """

    def __init__(self, settings: AuthSettings, max_cached_tokens: int = 10_000) -> None:
        self._settings = settings
        self._verified = VerifiedTokens(max_cached_tokens)
        url = settings.JWKS_URL
        self._jwks: _FileJwks | PyJWKClient
        if url.startswith(("http://", "https://")):
            self._jwks = PyJWKClient(url, cache_keys=True, lifespan=300)
        else:
            self._jwks = _FileJwks(Path(url.removeprefix("file://")))

    @property
    def cached_tokens(self) -> int:
        """How many verified tokens are remembered."""
        return len(self._verified)

    async def verify_async(self, token: str) -> Principal:
        """`verify` without blocking the event loop: fetching a JWKS URL is blocking I/O."""
        digest = hashlib.sha256(token.encode()).digest()
        if isinstance(self._jwks, PyJWKClient):
            # A remembered token's key was fetched already: PyJWKClient answers from its
            # key cache, so only a miss goes to a worker thread.
            remembered = self._remembered(digest)
            if remembered is not None:
                return remembered
            return await anyio.to_thread.run_sync(self._verify, token, digest)
        return self._verify(token, digest)

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token or raise Unauthorized."""
        return self._verify(token, hashlib.sha256(token.encode()).digest())

    def _remembered(self, digest: bytes) -> Principal | None:
        entry = self._verified.get(digest, time.time())
        if entry is None:
            return None
        try:
            current = self._jwks.get_signing_key(entry.kid)
        except (jwt.PyJWTError, OSError, ValueError):
            return None  # the full verification refuses it with the reason
        if current.key != entry.key:
            return None
        return entry.principal

    def _verify(self, token: str, digest: bytes) -> Principal:
        remembered = self._remembered(digest)
        if remembered is not None:
            return remembered
        principal, expires_at, kid, key = self._verify_signature(token)
        self._verified.put(digest, _Verified(principal, expires_at, kid, key))
        return principal

    def _verify_signature(self, token: str) -> tuple[Principal, float, str, Any]:
        """Verify signature and claims in full: the principal, `exp`, key id and key."""
        try:
            header = jwt.get_unverified_header(token)
            alg = header.get("alg")
            if alg not in self._settings.ALGORITHMS:
                raise Unauthorized("token algorithm not accepted")
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise Unauthorized("token has no key id")
            key = self._jwks.get_signing_key(kid)
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=list(self._settings.ALGORITHMS),
                audience=self._settings.AUDIENCE,
                issuer=self._settings.ISSUER,
                leeway=self._settings.LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except Unauthorized:
            raise
        except (jwt.PyJWTError, OSError, ValueError) as exc:
            raise Unauthorized(f"invalid token: {type(exc).__name__}") from exc
        org = claims.get("org")
        if not isinstance(org, str) or not org:
            raise Unauthorized("token has no org claim")
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise Unauthorized("scope claim must be a space separated string")
        principal = Principal(subject=str(claims["sub"]), org=org, scopes=frozenset(scope.split()))
        return principal, float(claims["exp"]), kid, key.key


def principal_dependency(
    scope_descriptions: dict[str, str],
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Build the FastAPI dependency that authenticates and checks `Security` scopes.

    The OpenAPI security scheme lists the service's scopes, so integrators see them in /docs.
    """
    listed = "\n".join(f"- `{name}`: {text}" for name, text in sorted(scope_descriptions.items()))
    bearer_scheme = HTTPBearer(
        auto_error=False,
        scheme_name="bearer",
        bearerFormat="JWT",
        description=(
            "OAuth2 client-credentials access token (JWT with `iss`, `aud`, `exp`, `sub`, "
            "`org` and a space separated `scope`). An organisation sees only what it owns or "
            "what was handed to it; anything else answers 404.\n\nScopes of this service:\n"
            + listed
        ),
    )

    async def current_principal(
        request: Request,
        security_scopes: SecurityScopes,
        # A default, not an Annotated alias: the scheme is local to this factory.
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),  # noqa: B008
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("bearer token required")
        verifier: TokenVerifier = request.app.state.runtime.verifier
        principal = await verifier.verify_async(credentials.credentials)
        missing = [s for s in security_scopes.scopes if not principal.has(s)]
        if missing:
            raise Forbidden(f"missing scope(s): {' '.join(missing)}")
        return principal

    current_principal.__doc__ = "Scopes: " + ", ".join(sorted(scope_descriptions))
    return current_principal
