"""The HTTP contract: every operation documented, and the OpenAPI document pinned.

Snapshots live in `tests/contract/snapshots/openapi/` and hold each service's whole
document as `create_app().openapi()` builds it (no server, no database). The current
document must be compatible with the pinned one (`compat.breaking_operation_changes`):
every pinned operation still there with its id, parameters, request body, responses and
schemas, `$ref`s followed. After an intended compatible change, refresh them with
`UPDATE_CONTRACT_SNAPSHOTS=1 .venv/bin/pytest tests/contract -p no:cacheprovider`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from shared.problems import RATE_LIMIT_EXEMPT
from shared.ratelimit import EXEMPT_PREFIXES
from tests.contract.compat import breaking_operation_changes, operations

SNAPSHOTS = Path(__file__).parent / "snapshots" / "openapi"
UPDATE = os.environ.get("UPDATE_CONTRACT_SNAPSHOTS") == "1"
# Unauthenticated by design: probes, metrics and the public manifest keys.
PUBLIC_PATHS = ("/health", "/metrics", "/v1/manifest-keys")
PROBLEM_REF = "#/components/schemas/Problem"


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


@pytest.fixture(params=SERVICES)
def spec(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    name: str = request.param
    app = _apps()[name]()
    return name, app.openapi()


def _documents_problem(op: dict[str, Any], code: str) -> bool:
    """`code` is declared by the route as a problem answer, not added by FastAPI itself."""
    content: dict[str, Any] = op["responses"].get(code, {}).get("content", {})
    return "application/problem+json" in content and any(
        media.get("schema", {}).get("$ref") == PROBLEM_REF for media in content.values()
    )


def test_every_operation_is_documented(spec: tuple[str, dict[str, Any]]) -> None:
    _, document = spec
    assert document["openapi"].startswith("3.1")
    for key, op in operations(document).items():
        assert op.get("operationId"), key
        assert op.get("summary"), key
        assert op.get("description"), f"{key} has no docstring"


def undocumented_errors(document: dict[str, Any]) -> list[str]:
    """Error answers a protected operation gives but does not declare with the Problem schema.

    Protected operations answer 401 (and 403 when scoped), 404 for an unknown or foreign
    path id and 422 for an invalid body. FastAPI adds a 422 to every operation with
    parameters by itself, so only a 422 declared with the Problem schema counts.
    """
    missing: list[str] = []
    for key, op in operations(document).items():
        if key.split()[1].startswith(PUBLIC_PATHS):
            continue
        if not op.get("security"):
            missing.append(f"{key} security")
        expected = {"401"}
        if any(scopes for requirement in op.get("security", []) for scopes in requirement.values()):
            expected.add("403")
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            expected.add("404")
        if "requestBody" in op:
            expected.add("422")
        missing += [
            f"{key} {code}" for code in sorted(expected) if not _documents_problem(op, code)
        ]
    return missing


def test_every_operation_documents_its_error_responses(
    spec: tuple[str, dict[str, Any]],
) -> None:
    _, document = spec
    for key, op in operations(document).items():
        if key.split()[1].startswith(PUBLIC_PATHS):
            assert "security" not in op, f"{key} is public but declares security"
    assert undocumented_errors(document) == []


def test_an_operation_with_a_path_id_and_only_the_automatic_422_is_caught() -> None:
    automatic_422 = {
        "description": "Validation Error",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
        },
    }
    problem = {
        "description": "Unauthorized",
        "content": {
            "application/problem+json": {},
            "application/json": {"schema": {"$ref": PROBLEM_REF}},
        },
    }
    op: dict[str, Any] = {
        "security": [{"bearer": ["cases:read"]}],
        "parameters": [{"name": "case_id", "in": "path", "required": True}],
        "responses": {"200": {"description": "OK"}, "401": problem, "422": automatic_422},
    }
    document = {"paths": {"/v1/cases/{case_id}": {"get": op}}}
    assert undocumented_errors(document) == [
        "GET /v1/cases/{case_id} 403",
        "GET /v1/cases/{case_id} 404",
    ]
    op["responses"] |= {"403": problem, "404": problem}
    assert undocumented_errors(document) == []
    del op["security"]
    assert undocumented_errors(document) == ["GET /v1/cases/{case_id} security"]


def test_an_operation_with_a_body_and_only_the_automatic_422_is_caught() -> None:
    problem = {"content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}}
    automatic_422 = {"content": {"application/json": {"schema": {"$ref": "#/x/HTTPError"}}}}
    op: dict[str, Any] = {
        "security": [{"bearer": []}],
        "requestBody": {"content": {"application/json": {"schema": {}}}},
        "responses": {"201": {"description": "Created"}, "401": problem, "422": automatic_422},
    }
    document = {"paths": {"/v1/cases": {"post": op}}}
    assert undocumented_errors(document) == ["POST /v1/cases 422"]
    op["responses"]["422"] = problem
    assert undocumented_errors(document) == []


def test_document_is_compatible_with_snapshot(spec: tuple[str, dict[str, Any]]) -> None:
    name, document = spec
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        if not UPDATE:
            pytest.fail(f"no snapshot for {name}; one was written, commit it")
    pinned: dict[str, Any] = json.loads(path.read_text())
    assert breaking_operation_changes(pinned, document) == []


def test_snapshot_pins_schemas_not_only_operation_ids(spec: tuple[str, dict[str, Any]]) -> None:
    name, _ = spec
    pinned: dict[str, Any] = json.loads((SNAPSHOTS / f"{name}.json").read_text())
    assert pinned["components"]["schemas"], f"{name} snapshot holds no component schemas"
    assert all("responses" in op for op in operations(pinned).values())


def test_operation_ids_are_unique(spec: tuple[str, dict[str, Any]]) -> None:
    _, document = spec
    ids = [op["operationId"] for op in operations(document).values()]
    assert len(ids) == len(set(ids))


def test_error_answers_are_documented_as_problem_json_only(
    spec: tuple[str, dict[str, Any]],
) -> None:
    """Every 4xx is `application/problem+json` with the Problem schema, 422 included.

    FastAPI's own `HTTPValidationError` would describe a 422 body the services never send.
    """
    _, document = spec
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert "errors" in schemas["Problem"]["properties"]
    for key, op in operations(document).items():
        for code, response in op["responses"].items():
            if code.startswith("4"):
                assert response.get("content") == {
                    "application/problem+json": {"schema": {"$ref": PROBLEM_REF}}
                }, f"{key} {code}"
        if "requestBody" in op:
            assert {"400", "413", "422"} <= set(op["responses"]), key
        if not key.split()[1].startswith(RATE_LIMIT_EXEMPT):
            assert "Retry-After" in op["responses"]["429"]["headers"], key


def test_the_documented_rate_limit_exemptions_are_the_middleware_s() -> None:
    assert RATE_LIMIT_EXEMPT == EXEMPT_PREFIXES
