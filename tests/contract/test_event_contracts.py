"""Event contracts are pinned: a change fails unless it only adds optional fields.

Snapshots live in `tests/contract/snapshots/events/`; after an intended compatible
addition, refresh them with `UPDATE_CONTRACT_SNAPSHOTS=1 make test-contract`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from shared.events.base import EventData
from shared.events.registry import EVENT_MODELS
from tests.contract.compat import breaking_changes

SNAPSHOTS = Path(__file__).parent / "snapshots" / "events"
UPDATE = os.environ.get("UPDATE_CONTRACT_SNAPSHOTS") == "1"

# architecture.md §3 ⚑: case.transferred must carry these fields.
TRANSFERRED_FIELDS = {
    "case_id",
    "handover_id",
    "from_org",
    "to_org",
    "reason",
    "legal_domain_from",
    "legal_domain_to",
    "transferred_at",
    "integration_plan",
    "documents",
    "manifest_signature",
}
DOCUMENT_FIELDS = {"document_id", "type", "sha256", "size", "media_type", "url"}


@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda m: m.TYPE)
def test_schema_is_compatible_with_snapshot(model: type[EventData]) -> None:
    current = model.model_json_schema()
    path = SNAPSHOTS / f"{model.TYPE}.json"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        if not UPDATE:
            pytest.fail(f"no snapshot for {model.TYPE}; one was written, commit it")
    pinned: dict[str, Any] = json.loads(path.read_text())
    assert breaking_changes(pinned, current) == []


def test_case_transferred_carries_the_contract_fields() -> None:
    from shared.events.handover import CaseTransferredV1, ManifestDocumentV1

    assert set(CaseTransferredV1.model_fields) >= TRANSFERRED_FIELDS
    assert set(ManifestDocumentV1.model_fields) >= DOCUMENT_FIELDS


def test_the_checker_catches_breaking_changes() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert breaking_changes(old, {"type": "object", "properties": {}}) == ["$.a: removed"]
    renamed = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert breaking_changes(old, renamed) == ["$.a: type string -> integer"]
    stricter = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "required": ["a", "b"],
    }
    assert breaking_changes(old, stricter) == ["$: newly required ['b']"]
    added = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "required": ["a"],
    }
    assert breaking_changes(old, added) == []


def test_residence_code_list_matches_the_rule_engine() -> None:
    from typing import get_args

    from eligibility_api.domain.facts import ResidenceStatus
    from shared.events.facts import ResidenceStatusCode

    assert set(get_args(ResidenceStatusCode)) == {status.value for status in ResidenceStatus}
