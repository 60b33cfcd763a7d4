"""The compatibility checker itself, on small hand-made schemas and documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.contract.compat import Direction, breaking_changes, breaking_operation_changes

Schema = dict[str, Any]
SNAPSHOTS = Path(__file__).parent / "snapshots" / "openapi"


def _obj(properties: Schema, required: list[str]) -> Schema:
    return {"type": "object", "properties": properties, "required": required}


STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"anyOf": [{"type": "string"}, {"type": "null"}]}
CASE = _obj({"id": {"type": "string", "format": "uuid"}, "name": STRING}, ["id", "name"])


def _document(
    case: Schema | None = None, *, request: Schema | None = None, op: Schema | None = None
) -> Schema:
    """A one-service OpenAPI document: GET and PATCH /v1/cases/{case_id}."""
    path_id = {"name": "case_id", "in": "path", "required": True, "schema": STRING}
    ok = {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}},
    }
    not_found = {"description": "Not Found", "content": {"application/problem+json": {}}}
    patch: Schema = {
        "operationId": "patch_case",
        "security": [{"bearer": ["cases:write"]}],
        "parameters": [path_id, {"name": "If-Match", "in": "header", "required": False}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/CaseUpdate"}}
            },
        },
        "responses": {"200": ok, "404": not_found},
    }
    patch.update(op or {})
    document: Schema = {
        "openapi": "3.1.0",
        "paths": {
            "/v1/cases/{case_id}": {
                "get": {
                    "operationId": "get_case",
                    "parameters": [path_id],
                    "responses": {"200": ok, "404": not_found},
                },
                "patch": patch,
            }
        },
        "components": {
            "schemas": {
                "Case": CASE if case is None else case,
                "CaseUpdate": _obj({"name": NULLABLE_STRING}, []) if request is None else request,
            }
        },
    }
    # No shared objects (deepcopy would keep them): tests change one operation at a time.
    copied: Schema = json.loads(json.dumps(document))
    return copied


class TestSchemaBreakingChanges:
    def test_the_checker_catches_breaking_changes(self) -> None:
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

    @pytest.mark.parametrize("direction", ["request", "response", "both"])
    def test_a_new_optional_property_passes(self, direction: Direction) -> None:
        added = _obj({**CASE["properties"], "note": NULLABLE_STRING}, ["id", "name"])
        assert breaking_changes(CASE, added, direction=direction) == []

    @pytest.mark.parametrize("direction", ["request", "response", "both"])
    def test_a_removed_property_breaks(self, direction: Direction) -> None:
        fewer = _obj({"id": CASE["properties"]["id"]}, ["id"])
        assert breaking_changes(CASE, fewer, direction=direction) == ["$.name: removed"]

    @pytest.mark.parametrize("direction", ["request", "response", "both"])
    def test_a_property_type_change_breaks(self, direction: Direction) -> None:
        retyped = _obj({**CASE["properties"], "name": {"type": "integer"}}, ["id", "name"])
        assert breaking_changes(CASE, retyped, direction=direction) == [
            "$.name: type string -> integer"
        ]

    def test_a_format_change_breaks(self) -> None:
        reformatted = _obj({**CASE["properties"], "id": STRING}, ["id", "name"])
        assert breaking_changes(CASE, reformatted) == ["$.id: format uuid -> None"]

    def test_making_a_request_field_required_breaks(self) -> None:
        old = _obj({"name": STRING, "note": STRING}, ["name"])
        new = _obj({"name": STRING, "note": STRING}, ["name", "note"])
        assert breaking_changes(old, new, direction="request") == ["$: newly required ['note']"]
        assert breaking_changes(old, new, direction="response") == []

    def test_a_response_field_that_may_now_be_missing_breaks(self) -> None:
        old = _obj({"name": STRING, "note": STRING}, ["name", "note"])
        new = _obj({"name": STRING, "note": STRING}, ["name"])
        assert breaking_changes(old, new, direction="response") == [
            "$: no longer required ['note']"
        ]
        assert breaking_changes(old, new, direction="request") == []

    def test_dropping_null_from_a_request_field_breaks(self) -> None:
        old = _obj({"note": NULLABLE_STRING}, [])
        new = _obj({"note": {"anyOf": [STRING]}}, [])
        assert breaking_changes(old, new, direction="request") == [
            "$.note<1>: no compatible variant left"
        ]

    def test_a_new_variant_breaks_readers_not_writers(self) -> None:
        old = _obj({"note": {"anyOf": [STRING]}}, [])
        new = _obj({"note": NULLABLE_STRING}, [])
        assert breaking_changes(old, new, direction="request") == []
        assert breaking_changes(old, new, direction="response") == ["$.note<1>: new variant"]

    def test_reordered_variants_pass(self) -> None:
        swapped = {"anyOf": [{"type": "null"}, {"type": "string"}]}
        assert breaking_changes(NULLABLE_STRING, swapped) == []

    def test_removed_enum_value_breaks_and_added_one_passes(self) -> None:
        old = {"type": "string", "enum": ["open", "closed"]}
        assert breaking_changes(old, {"type": "string", "enum": ["open"]}) == [
            "$: enum values removed ['closed']"
        ]
        assert breaking_changes(old, {"type": "string", "enum": ["open", "closed", "x"]}) == []

    def test_a_tightened_bound_or_pattern_breaks_writers(self) -> None:
        old = {"type": "integer", "minimum": 0, "maximum": 30}
        tighter = {"type": "integer", "minimum": 1, "maximum": 20}
        assert breaking_changes(old, tighter, direction="request") == [
            "$: minimum 0 -> 1",
            "$: maximum 30 -> 20",
        ]
        assert breaking_changes(old, tighter, direction="response") == []
        looser = {"type": "integer", "minimum": 0}
        assert breaking_changes(old, looser, direction="request") == []
        patterned = {"type": "string", "pattern": "^[A-Z]+$"}
        assert breaking_changes(STRING, patterned) == ["$: pattern None -> ^[A-Z]+$"]

    def test_refs_are_followed_into_defs(self) -> None:
        old = {"$ref": "#/$defs/Case", "$defs": {"Case": CASE}}
        new = {"$ref": "#/$defs/Case", "$defs": {"Case": _obj({}, [])}}
        assert breaking_changes(old, new) == ["$.id: removed", "$.name: removed"]

    def test_recursive_schemas_terminate(self) -> None:
        node = _obj({"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}, [])
        old: Schema = {"$ref": "#/$defs/Node", "$defs": {"Node": node}}
        assert breaking_changes(old, copy.deepcopy(old)) == []
        renamed = copy.deepcopy(old)
        properties = renamed["$defs"]["Node"]["properties"]
        properties["kids"] = properties.pop("children")
        assert breaking_changes(old, renamed) == ["$.children: removed"]


class TestOperationBreakingChanges:
    def test_an_identical_document_passes(self) -> None:
        assert breaking_operation_changes(_document(), _document()) == []

    def test_a_new_operation_passes(self) -> None:
        new = _document()
        new["paths"]["/v1/cases"] = {"get": {"operationId": "list_cases", "responses": {}}}
        assert breaking_operation_changes(_document(), new) == []

    def test_a_new_response_code_passes(self) -> None:
        new = _document()
        new["paths"]["/v1/cases/{case_id}"]["get"]["responses"]["410"] = {"description": "Gone"}
        assert breaking_operation_changes(_document(), new) == []

    def test_a_new_optional_field_passes_in_request_and_response(self) -> None:
        case = _obj({**CASE["properties"], "note": NULLABLE_STRING}, ["id", "name"])
        request = _obj({"name": NULLABLE_STRING, "note": NULLABLE_STRING}, [])
        assert breaking_operation_changes(_document(), _document(case, request=request)) == []

    def test_a_new_optional_parameter_passes(self) -> None:
        new = _document()
        new["paths"]["/v1/cases/{case_id}"]["get"]["parameters"].append(
            {"name": "fields", "in": "query", "required": False, "schema": STRING}
        )
        assert breaking_operation_changes(_document(), new) == []

    def test_a_renamed_component_of_the_same_shape_passes(self) -> None:
        new = json.loads(json.dumps(_document()).replace('schemas/Case"', 'schemas/CaseRead"'))
        new["components"]["schemas"]["CaseRead"] = new["components"]["schemas"].pop("Case")
        assert breaking_operation_changes(_document(), new) == []

    def test_a_removed_response_field_breaks_every_operation_using_it(self) -> None:
        fewer = _obj({"id": CASE["properties"]["id"]}, ["id"])
        assert breaking_operation_changes(_document(), _document(fewer)) == [
            "GET /v1/cases/{case_id} response 200 application/json.name: removed",
            "PATCH /v1/cases/{case_id} response 200 application/json.name: removed",
        ]

    def test_a_response_property_type_change_breaks(self) -> None:
        retyped = _obj({**CASE["properties"], "name": {"type": "integer"}}, ["id", "name"])
        assert breaking_operation_changes(_document(), _document(retyped))[0] == (
            "GET /v1/cases/{case_id} response 200 application/json.name: type string -> integer"
        )

    def test_making_a_request_field_required_breaks(self) -> None:
        stricter = _obj({"name": NULLABLE_STRING}, ["name"])
        assert breaking_operation_changes(_document(), _document(request=stricter)) == [
            "PATCH /v1/cases/{case_id} request body application/json: newly required ['name']"
        ]

    def test_a_removed_operation_breaks(self) -> None:
        new = _document()
        del new["paths"]["/v1/cases/{case_id}"]["patch"]
        assert breaking_operation_changes(_document(), new) == [
            "PATCH /v1/cases/{case_id}: operation removed"
        ]

    def test_a_renamed_operation_id_breaks(self) -> None:
        new = _document(op={"operationId": "update_case"})
        assert breaking_operation_changes(_document(), new) == [
            "PATCH /v1/cases/{case_id}: operationId patch_case -> update_case"
        ]

    def test_a_removed_response_breaks(self) -> None:
        new = _document()
        del new["paths"]["/v1/cases/{case_id}"]["get"]["responses"]["404"]
        assert breaking_operation_changes(_document(), new) == [
            "GET /v1/cases/{case_id} response 404: removed"
        ]

    def test_a_removed_response_media_type_breaks(self) -> None:
        new = _document()
        new["paths"]["/v1/cases/{case_id}"]["get"]["responses"]["404"]["content"] = {}
        assert breaking_operation_changes(_document(), new) == [
            "GET /v1/cases/{case_id} response 404 application/problem+json: media type removed"
        ]

    def test_an_error_answer_documented_as_problem_json_instead_of_json_passes(self) -> None:
        old = _document()
        validation = {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
        old["paths"]["/v1/cases/{case_id}"]["get"]["responses"]["422"] = {
            "content": {"application/json": validation}
        }
        old["components"]["schemas"]["HTTPValidationError"] = {"type": "object"}
        new = _document()
        problem = new["paths"]["/v1/cases/{case_id}"]["get"]["responses"]["404"]["content"]
        new["paths"]["/v1/cases/{case_id}"]["get"]["responses"]["422"] = {"content": problem}
        assert breaking_operation_changes(old, new) == []

    def test_a_success_answer_losing_application_json_still_breaks(self) -> None:
        new = _document()
        responses = new["paths"]["/v1/cases/{case_id}"]["get"]["responses"]
        moved = responses["200"]["content"]["application/json"]
        responses["200"] = {"description": "OK", "content": {"application/problem+json": moved}}
        assert breaking_operation_changes(_document(), new) == [
            "GET /v1/cases/{case_id} response 200 application/json: media type removed"
        ]

    def test_a_removed_response_header_breaks(self) -> None:
        old = _document()
        ok = old["paths"]["/v1/cases/{case_id}"]["get"]["responses"]["200"]
        ok["headers"] = {"ETag": {"schema": STRING}}
        assert breaking_operation_changes(old, _document()) == [
            "GET /v1/cases/{case_id} response 200 header ETag: removed"
        ]
        assert breaking_operation_changes(_document(), old) == []

    def test_a_parameter_made_required_or_removed_breaks(self) -> None:
        required = _document()
        patch = required["paths"]["/v1/cases/{case_id}"]["patch"]
        patch["parameters"][1]["required"] = True
        patch["parameters"].append({"name": "reason", "in": "query", "required": True})
        assert breaking_operation_changes(_document(), required) == [
            "PATCH /v1/cases/{case_id} parameter header If-Match: now required",
            "PATCH /v1/cases/{case_id} parameter query reason: new and required",
        ]
        removed = _document()
        del removed["paths"]["/v1/cases/{case_id}"]["patch"]["parameters"][1]
        assert breaking_operation_changes(_document(), removed) == [
            "PATCH /v1/cases/{case_id} parameter header If-Match: removed"
        ]

    def test_a_new_required_scope_breaks(self) -> None:
        new = _document(op={"security": [{"bearer": ["cases:write", "cases:admin"]}]})
        assert breaking_operation_changes(_document(), new) == [
            "PATCH /v1/cases/{case_id}: security bearer now needs ['cases:admin']"
        ]


@pytest.mark.parametrize("service", ["handover_api", "eligibility_api", "notifications_api"])
def test_a_removed_field_of_a_pinned_component_is_caught(service: str) -> None:
    """On the real snapshots: dropping any property of any used component breaks."""
    pinned: Schema = json.loads((SNAPSHOTS / f"{service}.json").read_text())
    for name, component in pinned["components"]["schemas"].items():
        if not component.get("properties"):
            continue
        changed = copy.deepcopy(pinned)
        dropped = next(iter(component["properties"]))
        del changed["components"]["schemas"][name]["properties"][dropped]
        problems = breaking_operation_changes(pinned, changed)
        assert problems, f"{service}: dropping {name}.{dropped} passed"
        assert all(problem.endswith(f"{dropped}: removed") for problem in problems)
