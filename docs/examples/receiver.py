"""What a receiving backend does with a `case.transferred` webhook, in plain Python.

Needs only the standard library and PyJWT with its crypto extra
(`pip install "pyjwt[crypto]"`). Three steps:

1. `verify_webhook`: the Standard Webhooks signature and the timestamp tolerance;
2. `manifest_digest`: recompute the digest of the released dossier from the event data;
3. `verify_manifest`: check the broker's EdDSA signature over that digest with its JWKS
   (`GET /v1/manifest-keys` on handover_api; cache it, fetch again for an unknown `kid`).

Dedupe on `webhook-id` (the same on every retry) before acting, then download the documents
with your own token and compare each one's sha256 with the manifest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt

TOLERANCE_SECONDS = 5 * 60


class InvalidWebhook(Exception):
    """The request is not a webhook the broker sent (or it is too old)."""


def verify_webhook(
    secret: str | list[str], headers: dict[str, str], body: bytes, now: float | None = None
) -> dict[str, Any]:
    """The CloudEvent of a genuine webhook; raise InvalidWebhook otherwise.

    `secret` is the subscription's `whsec_...` secret (or a list of the secrets you accept
    while you switch after a rotation); `headers` the request headers with lower-case
    names. During a secret rotation the header carries several signatures separated by
    spaces: any one of them may match.
    """
    message_id = headers["webhook-id"]
    timestamp = int(headers["webhook-timestamp"])
    current = time.time() if now is None else now
    if abs(current - timestamp) > TOLERANCE_SECONDS:
        raise InvalidWebhook("timestamp outside the five-minute tolerance")
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = [
        "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for key in (
            base64.b64decode(s.removeprefix("whsec_"))
            for s in ([secret] if isinstance(secret, str) else secret)
        )
    ]
    candidates = headers["webhook-signature"].split()
    if not any(hmac.compare_digest(c.encode(), e.encode()) for c in candidates for e in expected):
        raise InvalidWebhook("no signature matches")
    event: dict[str, Any] = json.loads(body)
    return event


def manifest_digest(data: dict[str, Any]) -> str:
    """SHA-256 over the canonical manifest of a `case.transferred` event's `data`.

    The documents as `{document_id, type, sha256, size, media_type}` sorted by document_id
    (URLs left out: they differ per deployment) and the integration plan as sent; canonical
    JSON is sorted keys, no spaces, UTF-8.
    """
    documents = sorted(
        (
            {k: d[k] for k in ("document_id", "type", "sha256", "size", "media_type")}
            for d in data["documents"]
        ),
        key=lambda d: str(d["document_id"]),
    )
    body = {
        "handover_id": data["handover_id"],
        "case_id": data["case_id"],
        "from_org": data["from_org"],
        "to_org": data["to_org"],
        "documents": documents,
        "integration_plan": data["integration_plan"],
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify_manifest(data: dict[str, Any], jwks: dict[str, Any]) -> str:
    """The verified manifest digest; raise if the signature or the digest does not hold."""
    token = data["manifest_signature"]
    kid = jwt.get_unverified_header(token).get("kid")
    matching = [k for k in jwks["keys"] if k.get("kid") == kid]
    if not matching:
        raise InvalidWebhook(f"unknown key id {kid!r}: fetch the JWKS again, then refuse")
    key = jwt.PyJWK.from_dict(matching[0]).key
    claims = jwt.decode(token, key, algorithms=["EdDSA"])
    digest = manifest_digest(data)
    if claims["handover_id"] != data["handover_id"] or claims["manifest_sha256"] != digest:
        raise InvalidWebhook("the manifest does not match its signature")
    return digest
