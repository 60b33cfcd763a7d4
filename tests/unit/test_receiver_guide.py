"""The receiver's guide example accepts what the broker signs and refuses everything else.

The example (`docs/examples/receiver.py`) is written from the specs, independently of the
broker's code; here it meets the broker's own signing: Standard Webhooks headers from
notifications_api and the Ed25519 manifest signature from handover_api.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from handover_api.adapters.signing import ManifestSigner
from handover_api.domain.manifest import manifest_digest
from notifications_api.domain.signing import generate_secret, webhook_headers
from tests.guide import example

guide = example("receiver")


def transferred_data(signer: ManifestSigner) -> dict[str, Any]:
    handover_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
    documents = [
        {
            "document_id": str(uuid.uuid4()),
            "type": t,
            "sha256": "ab" * 32,
            "size": 1234,
            "media_type": "application/pdf",
            "url": f"https://broker.example/v1/documents/{n}/content",
        }
        for n, t in enumerate(("ALG1_APPROVAL", "CV_CERTIFICATES"))
    ]
    plan = {"plan_id": str(uuid.uuid4()), "plan_type": "KOOPERATIONSPLAN", "version": 2}
    digest = manifest_digest(
        handover_id=handover_id,
        case_id=case_id,
        from_org="agentur-hagen",
        to_org="jobcenter-ennepe-ruhr",
        documents=documents,
        integration_plan=plan,
    )
    return {
        "handover_id": handover_id,
        "case_id": case_id,
        "from_org": "agentur-hagen",
        "to_org": "jobcenter-ennepe-ruhr",
        "documents": list(reversed(documents)),
        "integration_plan": plan,
        "manifest_signature": signer.sign(digest, handover_id),
    }


@pytest.fixture
def signer(tmp_path: Path) -> ManifestSigner:
    return ManifestSigner(tmp_path / "manifest.pem")


def test_a_genuine_webhook_and_manifest_verify(signer: ManifestSigner) -> None:
    secret = generate_secret()
    data = transferred_data(signer)
    body = json.dumps({"type": "de.handover.case.transferred.v1", "data": data}).encode()
    headers = webhook_headers(secret, "msg-1", int(time.time()), body)
    event = guide.verify_webhook(secret, headers, body)
    assert guide.verify_manifest(event["data"], signer.jwks()) == guide.manifest_digest(data)


def test_any_of_several_signatures_may_match_during_a_rotation() -> None:
    old, new = generate_secret(), generate_secret()
    body = b"{}"
    now = int(time.time())
    headers = webhook_headers(new, "msg-2", now, body)
    rotated = webhook_headers(old, "msg-2", now, body)["webhook-signature"]
    headers["webhook-signature"] = f"{rotated} {headers['webhook-signature']}"
    assert guide.verify_webhook(old, headers, body) == {}
    assert guide.verify_webhook(new, headers, body) == {}


@pytest.mark.parametrize("change", ["body", "secret", "old", "future"])
def test_a_forged_or_stale_webhook_is_refused(change: str) -> None:
    secret = generate_secret()
    body = b'{"data": {}}'
    sent_at = int(time.time())
    headers = webhook_headers(secret, "msg-3", sent_at, body)
    now = {"old": sent_at + 301, "future": sent_at - 301}.get(change, float(sent_at))
    with pytest.raises(guide.InvalidWebhook):
        guide.verify_webhook(
            generate_secret() if change == "secret" else secret,
            headers,
            b'{"data": {"x": 1}}' if change == "body" else body,
            now=now,
        )


@pytest.mark.parametrize("change", ["document", "plan", "handover"])
def test_a_changed_manifest_fails_its_signature(signer: ManifestSigner, change: str) -> None:
    data = transferred_data(signer)
    if change == "document":
        data["documents"][0] = {**data["documents"][0], "sha256": "cd" * 32}
    elif change == "plan":
        data["integration_plan"] = {**data["integration_plan"], "version": 3}
    else:
        data["handover_id"] = str(uuid.uuid4())
    with pytest.raises(guide.InvalidWebhook):
        guide.verify_manifest(data, signer.jwks())


def test_a_signature_by_another_key_is_refused(signer: ManifestSigner, tmp_path: Path) -> None:
    data = transferred_data(ManifestSigner(tmp_path / "other.pem"))
    with pytest.raises(guide.InvalidWebhook, match="unknown key id"):
        guide.verify_manifest(data, signer.jwks())
