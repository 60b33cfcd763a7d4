"""Event contracts are pinned: a change fails unless it only adds optional fields.

Snapshots live in `tests/contract/snapshots/events/`: each type's payload schema as
consumers validate it (`<type>.json`) and as producers put it on the wire
(`wire/<type>.json`), the CloudEvents envelope (`envelope.json`) and the topic of every
type (`topics.json`). After an intended compatible addition, refresh them with
`UPDATE_CONTRACT_SNAPSHOTS=1 .venv/bin/pytest tests/contract -p no:cacheprovider`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from shared.events.base import EventData
from shared.events.envelope import Envelope
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


def _pinned(path: Path, current: Any) -> Any:
    """The snapshot at `path`; written from `current` when asked to or when missing."""
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        if not UPDATE:
            pytest.fail(f"no snapshot {path.name}; one was written, commit it")
    return json.loads(path.read_text())


@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda m: m.TYPE)
def test_schema_is_compatible_with_snapshot(model: type[EventData]) -> None:
    current = model.model_json_schema()
    pinned: dict[str, Any] = _pinned(SNAPSHOTS / f"{model.TYPE}.json", current)
    assert breaking_changes(pinned, current) == []


@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda m: m.TYPE)
def test_wire_schema_is_compatible_with_snapshot(model: type[EventData]) -> None:
    current = model.model_json_schema(mode="serialization")
    pinned: dict[str, Any] = _pinned(SNAPSHOTS / "wire" / f"{model.TYPE}.json", current)
    assert breaking_changes(pinned, current) == []


def test_envelope_is_compatible_with_snapshot() -> None:
    current = Envelope[EventData].model_json_schema(mode="serialization")
    pinned: dict[str, Any] = _pinned(SNAPSHOTS / "envelope.json", current)
    assert breaking_changes(pinned, current) == []


def test_no_event_type_is_removed_or_moved_to_another_topic() -> None:
    current = {model.TYPE: model.TOPIC for model in EVENT_MODELS}
    pinned: dict[str, str] = _pinned(SNAPSHOTS / "topics.json", current)
    changed = {t: (topic, current.get(t)) for t, topic in pinned.items() if current.get(t) != topic}
    assert changed == {}, "event types removed or moved to another topic"


def test_every_payload_snapshot_is_a_registered_type() -> None:
    registered = {model.TYPE for model in EVENT_MODELS}
    for folder in (SNAPSHOTS, SNAPSHOTS / "wire"):
        stale = {p.stem for p in folder.glob("de.*.json")} - registered
        assert stale == set(), f"snapshots of unregistered event types in {folder.name}"


def test_case_transferred_carries_the_contract_fields() -> None:
    from shared.events.handover import CaseTransferredV1, ManifestDocumentV1

    assert set(CaseTransferredV1.model_fields) >= TRANSFERRED_FIELDS
    assert set(ManifestDocumentV1.model_fields) >= DOCUMENT_FIELDS


def test_residence_code_list_matches_the_rule_engine() -> None:
    from typing import get_args

    from eligibility_api.domain.facts import ResidenceStatus
    from shared.events.facts import ResidenceStatusCode

    assert set(get_args(ResidenceStatusCode)) == {status.value for status in ResidenceStatus}
