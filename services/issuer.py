"""The dev stack's local token issuer: an RSA key, its JWKS, and signed client tokens."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.settings import DEV_ISSUER

DEV_AUDIENCE = "handover-broker"

# Every scope an integration client may hold; the README lists what each allows.
INTEGRATION_SCOPES: tuple[str, ...] = (
    "cases:read",
    "cases:write",
    "documents:read",
    "documents:write",
    "handovers:read",
    "handovers:write",
    "audit:read",
    "eligibility:read",
    "eligibility:write",
    "subscriptions:read",
    "subscriptions:write",
    "deliveries:read",
    "deliveries:write",
    "info-sessions:read",
    "info-sessions:write",
    "invitations:read",
    "invitations:write",
    "consultations:read",
    "consultations:write",
    "notices:read",
    "notices:write",
)

# Scopes only the services' own clients hold (a token needs `--scope` for them): reading a
# person's contact data on handover_api for a notice.
SERVICE_SCOPES: tuple[str, ...] = ("contact:read",)

# Every scope the issuer may put into a token.
ALL_SCOPES: tuple[str, ...] = INTEGRATION_SCOPES + SERVICE_SCOPES


@dataclass(frozen=True)
class DevIssuer:
    """Signs tokens with a private key whose public half is published as a JWKS file."""

    directory: Path
    issuer: str = DEV_ISSUER
    audience: str = DEV_AUDIENCE

    @property
    def private_key_path(self) -> Path:
        """Where the PEM private key lives."""
        return self.directory / "private.pem"

    @property
    def jwks_path(self) -> Path:
        """Where the public JWKS lives (the services' AUTH__JWKS_URL)."""
        return self.directory / "jwks.json"

    def ensure_keys(self) -> None:
        """Create the key pair once; later runs reuse it so issued tokens stay valid."""
        if self.private_key_path.exists() and self.jwks_path.exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid=uuid.uuid4().hex[:16], use="sig", alg="RS256")
        self.private_key_path.write_bytes(pem)
        self.private_key_path.chmod(0o600)
        self.jwks_path.write_text(json.dumps({"keys": [jwk]}, indent=2))

    def token(
        self,
        org: str,
        scopes: tuple[str, ...] | list[str] | None = None,
        *,
        subject: str | None = None,
        ttl_seconds: int = 8 * 3600,
        audience: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A bearer token for `org` with the given scopes (every integration scope by default)."""
        self.ensure_keys()
        kid = json.loads(self.jwks_path.read_text())["keys"][0]["kid"]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience or self.audience,
            "sub": subject or f"client:{org}",
            "org": org,
            "scope": " ".join(INTEGRATION_SCOPES if scopes is None else scopes),
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
            **(extra or {}),
        }
        return jwt.encode(
            claims, self.private_key_path.read_bytes(), algorithm="RS256", headers={"kid": kid}
        )
