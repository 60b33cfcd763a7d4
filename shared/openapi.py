"""OpenAPI document completion: examples that follow from other schemas' examples."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

_REF_PREFIX = "#/components/schemas/"


def restore_example_nulls(document: dict[str, Any]) -> None:
    """Put back the nulls FastAPI drops from schema examples.

    FastAPI serialises the document with `exclude_none`, which also removes the `null`
    members of examples, so an example of a response with a required nullable field would
    no longer match its own schema. A component's examples are replaced by the examples of
    the model of that name whose examples they are once the nulls are dropped.
    """
    written: dict[str, list[list[Any]]] = {}
    for model in _models(BaseModel):
        extra = model.model_config.get("json_schema_extra")
        if callable(extra):
            # A callable adds the examples to the schema it is given (pydantic's protocol).
            generated: dict[str, Any] = {}
            extra(generated)  # type: ignore[call-arg]
            extra = generated
        examples = extra.get("examples") if isinstance(extra, dict) else None
        if isinstance(examples, list):
            written.setdefault(model.__name__, []).append(examples)
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        current = schema.get("examples")
        for examples in written.get(name.removesuffix("-Input").removesuffix("-Output"), []):
            if jsonable_encoder(examples, exclude_none=True) == current:
                schema["examples"] = jsonable_encoder(examples)
                break


def _models(base: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _models(sub)


def derive_examples(document: dict[str, Any]) -> None:
    """Give examples to component schemas whose example follows from others.

    An enum's example is its first value; a page (`items`, `next_cursor`) shows one item,
    the item schema's own first example, and no further page; a nested model's example is
    the value it has in the example of a model that holds it. Models keep the examples
    written on them; nothing is invented for a schema these rules do not cover.
    """
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    _nested_examples(schemas)
    for schema in schemas.values():
        if "examples" in schema or "example" in schema:
            continue
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            schema["examples"] = [enum[0]]
    for schema in schemas.values():
        if "examples" in schema or "example" in schema:
            continue
        item = _page_item(schema, schemas)
        if item is not None:
            schema["examples"] = [{"items": [copy.deepcopy(item)], "next_cursor": None}]


def _nested_examples(schemas: dict[str, Any]) -> None:
    """Hand each example's nested values down to the referenced schemas that lack one."""
    pending = list(schemas)
    while pending:
        name = pending.pop()
        found: dict[str, list[Any]] = {}
        for example in schemas[name].get("examples", []):
            if not isinstance(example, dict):
                continue
            for prop, sub in schemas[name].get("properties", {}).items():
                value = example.get(prop)
                if value is None:
                    continue
                for target, nested in _referenced(sub, value):
                    values = found.setdefault(target, [])
                    if nested not in values:
                        values.append(copy.deepcopy(nested))
        for target, values in found.items():
            schema = schemas.get(target)
            if schema is not None and "examples" not in schema:
                schema["examples"] = values
                pending.append(target)


def _referenced(sub: dict[str, Any], value: Any) -> list[tuple[str, Any]]:
    """(component name, value) pairs for the `$ref`s a property's value instantiates."""
    ref = sub.get("$ref", "")
    if ref.startswith(_REF_PREFIX):
        return [(ref.removeprefix(_REF_PREFIX), value)]
    found: list[tuple[str, Any]] = []
    for variant in sub.get("anyOf", []) + sub.get("allOf", []):
        found += _referenced(variant, value)
    items = sub.get("items")
    if isinstance(items, dict) and isinstance(value, list) and value:
        found += _referenced(items, value[0])
    return found


def _page_item(schema: dict[str, Any], schemas: dict[str, Any]) -> Any | None:
    """The first example of a page's item schema, or None if `schema` is no page."""
    properties = schema.get("properties", {})
    if set(properties) != {"items", "next_cursor"}:
        return None
    ref = properties["items"].get("items", {}).get("$ref", "")
    if not ref.startswith(_REF_PREFIX):
        return None
    examples = schemas.get(ref.removeprefix(_REF_PREFIX), {}).get("examples")
    return examples[0] if isinstance(examples, list) and examples else None
