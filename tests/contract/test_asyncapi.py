"""The AsyncAPI documents are generated from the registry, pinned, and tell the truth.

Snapshots live in `tests/contract/snapshots/asyncapi/<service>.json`; refresh them after an
intended compatible change with `UPDATE_CONTRACT_SNAPSHOTS=1`. A change fails unless every
pinned channel and operation is still there and every message payload changed only
compatibly (checked in both directions, as producers and consumers deploy independently).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from eligibility_api.consumers import CONSUMER_GROUPS as ELIGIBILITY_GROUPS
from notifications_api.consumers import CONSUMER_GROUPS as NOTIFICATIONS_GROUPS
from shared.events.asyncapi import service_asyncapi
from shared.events.registry import CONSUMED_BY, EVENT_MODELS, PRODUCED_BY
from tests.contract.compat import breaking_changes
from tests.contract.test_event_contracts import _pinned

SNAPSHOTS = Path(__file__).parent / "snapshots" / "asyncapi"
SERVICES = ("handover_api", "eligibility_api", "notifications_api")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _payload(document: dict[str, Any], message: str) -> dict[str, Any]:
    """A message's payload schema with the document's schemas as `$defs` (for compat)."""
    schemas = document["components"]["schemas"]
    ref = document["components"]["messages"][message]["payload"]["$ref"]
    text = json.dumps(_resolve(document, ref)).replace("#/components/schemas/", "#/$defs/")
    root: dict[str, Any] = json.loads(text)
    root["$defs"] = json.loads(json.dumps(schemas).replace("#/components/schemas/", "#/$defs/"))
    return root


@pytest.mark.parametrize("service", SERVICES)
def test_document_is_compatible_with_snapshot(service: str) -> None:
    current = service_asyncapi(service)
    pinned: dict[str, Any] = _pinned(SNAPSHOTS / f"{service}.json", current)
    assert set(pinned["channels"]) <= set(current["channels"]), "channels removed"
    for name, channel in pinned["channels"].items():
        assert current["channels"][name]["address"] == channel["address"], name
    assert set(pinned["operations"]) <= set(current["operations"]), "operations removed"
    for message in pinned["components"]["messages"]:
        old, new = _payload(pinned, message), _payload(current, message)
        assert breaking_changes(old, new, direction="both") == [], message


@pytest.mark.parametrize("service", SERVICES)
def test_document_is_self_contained(service: str) -> None:
    """Every `$ref` points into the document itself: it reads offline."""
    document = service_asyncapi(service)
    assert document["asyncapi"] == "3.0.0"
    for ref in _refs(document):
        assert ref.startswith("#/"), ref
        _resolve(document, ref)


def test_each_event_type_has_one_producer() -> None:
    produced = [m for models in PRODUCED_BY.values() for m in models]
    assert sorted(m.TYPE for m in produced) == sorted(m.TYPE for m in EVENT_MODELS)


@pytest.mark.parametrize(
    ("service", "groups"),
    [("eligibility_api", ELIGIBILITY_GROUPS), ("notifications_api", NOTIFICATIONS_GROUPS)],
)
def test_consumed_events_are_what_the_consumers_handle(
    service: str, groups: dict[str, dict[str, object]]
) -> None:
    handled = {topic for handlers in groups.values() for topic in handlers}
    assert {m.TOPIC for m in CONSUMED_BY[service]} == handled


def test_handover_api_consumes_what_its_consumer_handles() -> None:
    from handover_api.consumers import consumer_groups

    groups = consumer_groups(context=None)  # type: ignore[arg-type]
    handled = {topic for handlers in groups.values() for topic in handlers}
    assert {m.TOPIC for m in CONSUMED_BY["handover_api"]} == handled


def test_a_message_carries_the_key_and_the_cloudevents_attributes() -> None:
    document = service_asyncapi("handover_api")
    message = document["components"]["messages"]["CaseTransferredV1"]
    assert message["bindings"]["kafka"]["key"]["format"] == "uuid"
    assert message["contentType"] == "application/cloudevents+json"
    envelope = _resolve(document, message["payload"]["$ref"])
    assert {"specversion", "id", "source", "type", "time", "subject", "data"} <= set(
        envelope["properties"]
    )
    operations = document["operations"]
    assert operations["sendCaseTransferredV1"]["action"] == "send"
    assert operations["receiveEligibilityDeterminedV1"]["action"] == "receive"
    assert operations["deadLetterEligibilityDeterminedV1"]["channel"]["$ref"] == (
        "#/channels/eligibilityDeterminedDlq"
    )


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_serves_its_document(service: str) -> None:
    """`GET /asyncapi.json` answers the pinned document (no server, no database)."""
    from tests.contract.test_openapi import _apps

    app = _apps()[service]()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    assert response.json() == service_asyncapi(service)
    assert "/asyncapi.json" not in app.openapi()["paths"]
