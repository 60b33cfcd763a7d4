"""Every component schema of the three OpenAPI documents carries an example that it accepts.

The examples are what a reader of `/docs` copies and what a generated client's docs show,
so each one is validated against its own schema (JSON Schema 2020-12, `$ref`s resolved
in the document); the request examples are also posted against a running stack in
`tests/e2e/test_documented_examples.py`.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import jsonschema_rs
import pytest

from tests.contract.test_openapi import SERVICES, _apps

_DOCUMENTS: dict[str, dict[str, Any]] = {}


def _document(service: str) -> dict[str, Any]:
    if service not in _DOCUMENTS:
        _DOCUMENTS[service] = _apps()[service]().openapi()
    return _DOCUMENTS[service]


def _cases() -> list[tuple[str, str]]:
    return [
        (service, name)
        for service in SERVICES
        for name in sorted(_document(service)["components"]["schemas"])
    ]


def _is_time(value: str) -> bool:
    """A time of day as pydantic reads and writes it: the offset is optional.

    JSON Schema's `time` is RFC 3339's `full-time`, which requires an offset; pydantic
    documents `datetime.time` with that format but answers and accepts "09:30:00".
    """
    try:
        time.fromisoformat(value)
    except ValueError:
        return False
    return True


def example_errors(document: dict[str, Any], name: str) -> list[str]:
    """Why component `name` of `document` has no valid example (empty when it has)."""
    schema = document["components"]["schemas"][name]
    examples = schema.get("examples")
    if not isinstance(examples, list) or not examples:
        return [f"{name}: no examples"]
    # The component is validated through a $ref, so its own refs resolve in the document.
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    validator = jsonschema_rs.Draft202012Validator(
        root, validate_formats=True, formats={"time": _is_time}
    )
    return [
        f"{name} example {index}: {error.message} at {list(error.instance_path)}"
        for index, example in enumerate(examples)
        for error in validator.iter_errors(example)
    ]


@pytest.mark.parametrize(("service", "name"), _cases())
def test_component_schema_has_a_valid_example(service: str, name: str) -> None:
    assert example_errors(_document(service), name) == []


def test_every_service_documents_its_components() -> None:
    for service in SERVICES:
        assert len(_document(service)["components"]["schemas"]) >= 10, service


def test_a_missing_or_wrong_example_is_caught() -> None:
    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "Day": {"type": "string", "format": "date", "examples": ["2026-03-12"]},
                "Slot": {
                    "type": "object",
                    "properties": {"day": {"$ref": "#/components/schemas/Day"}},
                    "required": ["day"],
                    "examples": [{"day": "12.03.2026"}],
                },
                "Bare": {"type": "object", "properties": {}},
            }
        }
    }
    assert example_errors(document, "Day") == []
    assert example_errors(document, "Bare") == ["Bare: no examples"]
    errors = example_errors(document, "Slot")
    assert len(errors) == 1
    assert errors[0].startswith("Slot example 0:")
    assert "['day']" in errors[0]
