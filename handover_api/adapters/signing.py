"""Manifest signatures: Ed25519 JWS over the manifest digest; public keys as a JWKS.

The key ring is the current private key (the PEM file `MANIFEST_KEY_PATH`) and the public
halves of the keys it replaced, one JSON file per retired key in the directory beside it
(`<key file stem>.retired/<kid>.json`: the public JWK with `retired_at`). Everything signed
names its key by the JWS header's `kid`, so a signature made before a roll still verifies
against the ring after it. `rotate_key` rolls the key while the API and the worker run: each
`ManifestSigner` checks the files' status (one `stat` each) before it signs, verifies or
publishes, and reloads the ring when they changed, so every process signs with the new key
from its next signature on, without a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

_LOCK_NAME = ".rotate.lock"


def retired_dir(key_path: Path) -> Path:
    """Where the public halves of the keys `key_path` held before live."""
    return key_path.with_name(f"{key_path.stem}.retired")


def _private_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@contextlib.contextmanager
def _temporary_file(directory: Path, name: str, content: bytes) -> Iterator[str]:
    """A complete, synced file under a temporary name in `directory`, removed afterwards."""
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:  # mkstemp creates it readable by the owner only
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        yield temporary
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_key(key_path: Path) -> None:
    """Write a new private key to `key_path` unless another process got there first.

    The API and the worker of the service start together and may both find no key: each
    writes a complete file under a temporary name, and only the first hard link to
    `key_path` wins, so neither ever reads a half-written file and both sign with one key.
    """
    key_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        _temporary_file(key_path.parent, key_path.name, _private_pem()) as temporary,
        contextlib.suppress(FileExistsError),
    ):
        os.link(temporary, key_path)


def _load_private(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("manifest key must be an Ed25519 private key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    """The `kid` of a public key: base64url of its first 12 bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return jwt.utils.base64url_encode(raw[:12]).decode()


def public_jwk(public: Ed25519PublicKey) -> dict[str, Any]:
    """The public key as a JWK with its `kid`, for signatures (EdDSA)."""
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(public))
    jwk.update(kid=key_id(public), use="sig", alg="EdDSA")
    return jwk


@dataclass(frozen=True)
class KeyRing:
    """The current signing key and every public key that verifies, by `kid`."""

    current: Ed25519PrivateKey
    kid: str
    public: Mapping[str, Ed25519PublicKey]
    jwks: Mapping[str, Any]

    @classmethod
    def load(cls, key_path: Path) -> KeyRing:
        """Read the current key, then the retired ones.

        In this order a ring read during a roll is never missing a key: a roll writes the
        retired copy of the old key before it replaces the key file, so whoever reads the
        new key finds the old one retired already.
        """
        current = _load_private(key_path.read_bytes())
        current_jwk = public_jwk(current.public_key())
        kid = str(current_jwk["kid"])
        public: dict[str, Ed25519PublicKey] = {kid: current.public_key()}
        retired: list[dict[str, Any]] = []
        for jwk in _read_retired(retired_dir(key_path)):
            if jwk["kid"] in public:
                continue
            key = jwt.PyJWK.from_dict(jwk, algorithm="EdDSA").key
            if not isinstance(key, Ed25519PublicKey) or key_id(key) != jwk["kid"]:
                raise ValueError(f"retired manifest key {jwk['kid']!r} is not its Ed25519 key")
            public[str(jwk["kid"])] = key
            retired.append(jwk)
        retired.sort(key=lambda k: str(k.get("retired_at", "")), reverse=True)
        return cls(current, kid, public, {"keys": [current_jwk, *retired]})


def _read_retired(directory: Path) -> list[dict[str, Any]]:
    try:
        names = sorted(p for p in directory.iterdir() if p.suffix == ".json")
    except FileNotFoundError:
        return []
    keys: list[dict[str, Any]] = []
    for path in names:
        if path.name.startswith("."):
            continue  # a file still being written
        jwk = json.loads(path.read_bytes())
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            raise ValueError(f"{path} is not a public JWK with a kid")
        keys.append(jwk)
    return keys


def _stamp(key_path: Path) -> tuple[int, ...]:
    """What changes when a roll replaces the key file or retires a key (a `stat` each)."""
    key = key_path.stat()
    try:
        retired = retired_dir(key_path).stat()
        directory: tuple[int, ...] = (retired.st_ino, retired.st_mtime_ns, retired.st_ctime_ns)
    except FileNotFoundError:
        directory = ()
    return (key.st_ino, key.st_mtime_ns, key.st_ctime_ns, key.st_size, *directory)


class ManifestSigner:
    """Signs with the current key of the ring; verifies with the key a signature names.

    Loads (or, on first start, creates) the service's signing key, and reloads the ring when
    the key file or the retired keys' directory changed (checked by `stat` on each use).
    """

    def __init__(self, key_path: Path) -> None:
        if not key_path.exists():
            _create_key(key_path)
        self._path = key_path
        self._stamp = _stamp(key_path)
        self._ring = KeyRing.load(key_path)

    def ring(self) -> KeyRing:
        """The key ring as the files hold it now."""
        # The stamp is taken before the files are read: a roll after it changes the stamp
        # again, so the next use reloads.
        stamp = _stamp(self._path)
        if stamp != self._stamp:
            ring = KeyRing.load(self._path)
            self._ring, self._stamp = ring, stamp
        return self._ring

    @property
    def kid(self) -> str:
        """The `kid` of the key signing now."""
        return self.ring().kid

    def sign(self, digest: str, handover_id: str) -> str:
        """A compact JWS whose payload names the handover and the manifest digest."""
        claims = {"handover_id": handover_id, "manifest_sha256": digest, "iat": int(time.time())}
        return self.sign_claims(claims)

    def sign_claims(self, claims: dict[str, Any]) -> str:
        """A compact JWS over `claims` (audit checkpoints), with the current key and `kid`."""
        ring = self.ring()
        return jwt.encode(claims, ring.current, algorithm="EdDSA", headers={"kid": ring.kid})

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a JWS signed by a key of the ring (chosen by the header's `kid`),
        or None when the key is unknown or the signature does not verify."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.ring().public.get(kid) if isinstance(kid, str) else None
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.InvalidTokenError:
            return None
        return claims

    def jwks(self) -> dict[str, Any]:
        """The public key set receivers verify signatures with: the current key first."""
        return dict(self.ring().jwks)

    def jwks_etag(self) -> str:
        """A strong ETag of the published key set (it changes with every roll)."""
        body = json.dumps(self.ring().jwks, sort_keys=True, separators=(",", ":"))
        return f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'


@dataclass(frozen=True)
class Rotation:
    """The outcome of a roll: the key retired (None when there was none) and the new one."""

    retired_kid: str | None
    kid: str


def rotate_key(key_path: Path, now: datetime | None = None) -> Rotation:
    """Retire the current key and put a new one in its place, safe while processes sign.

    Under an exclusive lock (one roll at a time), the old key's public half is written to
    the retired directory first, completely under a temporary name and then linked, and
    only then does an atomic rename replace the key file. A process therefore reads either
    the old key or the new one, never a partial file, and any process that sees the new key
    also finds the old one among the retired keys. The private half of a retired key is
    not kept.
    """
    retired_at = (now or datetime.now(UTC)).astimezone(UTC)
    directory = retired_dir(key_path)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / _LOCK_NAME, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            retired_kid: str | None = None
            if key_path.exists():
                old = _load_private(key_path.read_bytes()).public_key()
                jwk = public_jwk(old) | {"retired_at": retired_at.isoformat()}
                retired_kid = str(jwk["kid"])
                target = directory / f"{retired_kid}.json"
                content = json.dumps(jwk, indent=2).encode() + b"\n"
                with (
                    _temporary_file(directory, target.name, content) as temporary,
                    contextlib.suppress(FileExistsError),  # retired before: keep the first date
                ):
                    os.link(temporary, target)
                _sync_directory(directory)
            pem = _private_pem()
            with _temporary_file(key_path.parent, key_path.name, pem) as temporary:
                os.replace(temporary, key_path)
            _sync_directory(key_path.parent)
            return Rotation(retired_kid, key_id(_load_private(pem).public_key()))
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
