"""The HTTP contract: every operation documented, operation ids and paths pinned."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

SNAPSHOTS = Path(__file__).parent / "snapshots" / "openapi"
UPDATE = os.environ.get("UPDATE_CONTRACT_SNAPSHOTS") == "1"


def _apps() -> dict[str, Callable[[], FastAPI]]:
    from eligibility_api.app import create_app as eligibility
    from handover_api.app import create_app as handover
    from notifications_api.app import create_app as notifications

    return {
        "handover_api": handover,
        "eligibility_api": eligibility,
        "notifications_api": notifications,
    }


SERVICES = ["handover_api", "eligibility_api", "notifications_api"]


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


@pytest.fixture(params=SERVICES)
def spec(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    name: str = request.param
    app = _apps()[name]()
    return name, app.openapi()


def test_every_operation_is_documented(spec: tuple[str, dict[str, Any]]) -> None:
    _, document = spec
    assert document["openapi"].startswith("3.1")
    for key, op in _operations(document).items():
        assert op.get("operationId"), key
        assert op.get("summary"), key
        assert op.get("description"), f"{key} has no docstring"
        if key.startswith(("POST", "PATCH", "PUT", "DELETE")) or "{" in key:
            codes = set(op["responses"])
            if not key.split()[1].startswith(
                ("/health", "/metrics", "/v1/manifest-keys", "/v1/rules")
            ):
                assert codes & {"401", "404", "422"}, f"{key} documents no error responses"


def test_operations_are_compatible_with_snapshot(spec: tuple[str, dict[str, Any]]) -> None:
    name, document = spec
    current = {key: op["operationId"] for key, op in _operations(document).items()}
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        if not UPDATE:
            pytest.fail(f"no snapshot for {name}; one was written, commit it")
    pinned: dict[str, str] = json.loads(path.read_text())
    removed = {k: v for k, v in pinned.items() if current.get(k) != v}
    assert removed == {}, "operations removed or renamed"


def test_operation_ids_are_unique(spec: tuple[str, dict[str, Any]]) -> None:
    _, document = spec
    ids = [op["operationId"] for op in _operations(document).values()]
    assert len(ids) == len(set(ids))
