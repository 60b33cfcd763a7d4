"""Manifest signatures: Ed25519 JWS over the manifest digest; public keys as a JWKS."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm


def _create_key(key_path: Path) -> None:
    """Write a new private key to `key_path` unless another process got there first.

    The API and the worker of the service start together and may both find no key: each
    writes a complete file under a temporary name, and only the first hard link to
    `key_path` wins, so neither ever reads a half-written file and both sign with one key.
    """
    key_path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, temporary = tempfile.mkstemp(prefix=f".{key_path.name}.", dir=key_path.parent)
    try:
        with os.fdopen(fd, "wb") as file:  # mkstemp creates it readable by the owner only
            file.write(pem)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, key_path)
    finally:
        os.unlink(temporary)


class ManifestSigner:
    """Loads (or, on first start, creates) the service's signing key."""

    def __init__(self, key_path: Path) -> None:
        if not key_path.exists():
            _create_key(key_path)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("manifest key must be an Ed25519 private key")
        self._key = key
        public_jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
        self.kid = jwt.utils.base64url_encode(
            key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )[:12]
        ).decode()
        public_jwk.update(kid=self.kid, use="sig", alg="EdDSA")
        self._public_jwk = public_jwk

    def sign(self, digest: str, handover_id: str) -> str:
        """A compact JWS whose payload names the handover and the manifest digest."""
        claims = {"handover_id": handover_id, "manifest_sha256": digest, "iat": int(time.time())}
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})

    def sign_claims(self, claims: dict[str, Any]) -> str:
        """A compact JWS over `claims` (audit checkpoints), with the same key and `kid`."""
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a JWS this key signed, or None when the signature does not verify."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["EdDSA"],
                options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.InvalidTokenError:
            return None
        return claims

    def jwks(self) -> dict[str, Any]:
        """The public key set receivers verify signatures with."""
        return {"keys": [self._public_jwk]}
