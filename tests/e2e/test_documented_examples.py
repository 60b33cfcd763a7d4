"""Every documented request-body example works when posted against a fresh stack."""

from __future__ import annotations

from typing import Any

from tests.e2e.stack import RunningStack


def _example(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """The first documented JSON example of one operation's request body."""
    media = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
    schema = media.get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    examples = media.get("examples") or {}
    if examples:
        value: dict[str, Any] = next(iter(examples.values()))["value"]
        return value
    first: dict[str, Any] = schema["examples"][0]
    return first


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


def test_handover_examples_with_path_parameters_succeed_in_sequence(stack: RunningStack) -> None:
    with stack.client("handover_api", "agentur-hagen") as client:
        spec = client.get("/openapi.json").json()

        def post(path: str, template: str) -> dict[str, Any]:
            response = client.post(path, json=_example(spec, template, "post"))
            assert response.status_code in (200, 201), (template, response.text)
            body: dict[str, Any] = response.json()
            return body

        case = post("/v1/cases", "/v1/cases")
        patched = client.patch(
            f"/v1/cases/{case['id']}",
            json=_example(spec, "/v1/cases/{case_id}", "patch"),
            headers={"If-Match": f'"{case["version"]}"'},
        )
        assert patched.status_code == 200, patched.text
        handover = post(f"/v1/cases/{case['id']}/handovers", "/v1/cases/{case_id}/handovers")
        base = f"/v1/handovers/{handover['id']}"
        post(f"{base}/waivers", "/v1/handovers/{handover_id}/waivers")
        post(f"{base}/trigger", "/v1/handovers/{handover_id}/trigger")
        cancelled = post(f"{base}/cancel", "/v1/handovers/{handover_id}/cancel")
        assert cancelled["status"] == "cancelled"
