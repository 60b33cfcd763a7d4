"""The transfer manifest and the digest a receiver recomputes to verify its signature."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def manifest_digest(
    *,
    handover_id: str,
    case_id: str,
    from_org: str,
    to_org: str,
    documents: Sequence[Mapping[str, Any]],
    integration_plan: Mapping[str, Any] | None,
    withheld_documents: Sequence[str] = (),
) -> str:
    """SHA-256 over the canonical manifest.

    A receiver recomputes it from the `case.transferred` data: the documents as
    `{document_id, type, sha256, size, media_type}` sorted by document_id (URLs excluded,
    they may differ per deployment) and the integration plan as sent. Where special-category
    documents stayed with the source, their sorted types are covered as `withheld_documents`
    (the key is absent when none were withheld, so earlier manifests verify unchanged).
    """
    docs = sorted(
        (
            {k: d[k] for k in ("document_id", "type", "sha256", "size", "media_type")}
            for d in documents
        ),
        key=lambda d: str(d["document_id"]),
    )
    body: dict[str, Any] = {
        "handover_id": handover_id,
        "case_id": case_id,
        "from_org": from_org,
        "to_org": to_org,
        "documents": docs,
        "integration_plan": integration_plan,
    }
    if withheld_documents:
        body["withheld_documents"] = sorted(withheld_documents)
    return hashlib.sha256(canonical_json(body)).hexdigest()
