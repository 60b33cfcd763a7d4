"""Standard Webhooks signatures: `whsec_` secrets and `v1,` HMAC-SHA256 signatures.

Spec: https://www.standardwebhooks.com/ (webhook-id, webhook-timestamp, webhook-signature).
The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the key is the
base64-decoded part of the secret after `whsec_`.

Rotation: while a subscription's old secret is still valid, an attempt is signed with the
new and the old one, and `webhook-signature` carries both (`v1,<new> v1,<old>`, space
separated, as the spec allows), so a receiver verifying with either secret accepts it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
SIGNATURE_VERSION = "v1"
SECRET_BYTES = 32
# How long the old secret stays valid after a rotation, unless the request says otherwise.
DEFAULT_OLD_SECRET_VALIDITY = timedelta(hours=24)
MAX_OLD_SECRET_VALIDITY = timedelta(days=7)


class InvalidSecret(ValueError):
    """The secret is not `whsec_` followed by base64."""


def generate_secret() -> str:
    """A fresh signing secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a `whsec_` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret("secret must start with whsec_")
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise InvalidSecret("secret is not base64") from exc


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one attempt: `v1,` + base64(HMAC-SHA256)."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signing_secrets(
    secret: str, old_secret: str | None, old_secret_expires_at: datetime | None, now: datetime
) -> tuple[str, ...]:
    """The secrets an attempt at `now` is signed with: the current one, and the old one
    until it expires."""
    if old_secret is None or old_secret_expires_at is None or now >= old_secret_expires_at:
        return (secret,)
    return (secret, old_secret)


def sign_all(secrets_: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one `v1,` signature per secret, space separated."""
    return " ".join(sign(s, message_id, timestamp, body) for s in secrets_)


def verify(secret: str, message_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether any space-separated `v1,` signature in `header` matches (constant time)."""
    expected = sign(secret, message_id, timestamp, body)
    return any(
        hmac.compare_digest(candidate.encode(), expected.encode())
        for candidate in header.split()
        if candidate.startswith(SIGNATURE_VERSION + ",")
    )


def webhook_headers(
    secret: str | Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt.

    `secret` is one secret, or the secrets of a rotation's overlap (current first); a
    string holding several secrets separated by spaces counts as those secrets, which is
    how `WebhookRequest.secret` carries an overlap (`whsec_` base64 has no spaces).
    """
    secrets_ = secret.split() if isinstance(secret, str) else list(secret)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_all(secrets_, message_id, timestamp, body),
    }
