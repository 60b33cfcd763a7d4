"""Every documented request-body example works when posted against a fresh stack."""

from __future__ import annotations

from typing import Any

from tests.e2e.stack import RunningStack


def _examples(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, example) for every POST without path parameters that documents an example."""
    found: list[tuple[str, dict[str, Any]]] = []
    schemas = spec.get("components", {}).get("schemas", {})
    for path, item in spec["paths"].items():
        op = item.get("post")
        if op is None or "{" in path or "requestBody" not in op:
            continue
        content = op["requestBody"]["content"]
        if "application/json" not in content:
            continue
        media = content["application/json"]
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        examples = media.get("examples") or {}
        listed = [e["value"] for e in examples.values()] if examples else schema.get("examples", [])
        found.extend((path, example) for example in listed)
    return found


def test_posting_each_documented_example_succeeds(stack: RunningStack) -> None:
    posted = 0
    for service in ("handover_api", "eligibility_api", "notifications_api"):
        with stack.client(service, "agentur-hagen") as client:
            spec = client.get("/openapi.json").json()
            for path, example in _examples(spec):
                response = client.post(path, json=example)
                assert response.status_code in (200, 201, 202), (service, path, response.text)
                posted += 1
    assert posted >= 3
