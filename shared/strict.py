"""Strict request input for models that are lenient as event contracts.

Event models ignore unknown fields (so added optional fields stay compatible); a request
body must not: `StrictInput(Model)` rejects unknown keys at every nesting level.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    origin = typing.get_origin(annotation)
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found.extend(_nested_models(arg))
    return found


def unknown_fields(model: type[BaseModel], data: Any, prefix: str = "") -> list[str]:
    """Dotted paths of keys in `data` that `model` (recursively) does not define."""
    if not isinstance(data, Mapping):
        return []
    fields = model.model_fields
    names = set(fields) | {f.alias for f in fields.values() if f.alias}
    unknown = [f"{prefix}{key}" for key in data if key not in names]
    for name, field in fields.items():
        value = data.get(name)
        if value is None:
            continue
        for sub in _nested_models(field.annotation):
            items = value if isinstance(value, list | tuple) else [value]
            for index, item in enumerate(items):
                where = f"{prefix}{name}[{index}]." if items is value else f"{prefix}{name}."
                unknown.extend(unknown_fields(sub, item, where))
    return unknown


def forbid_unknown(model: type[BaseModel]) -> Callable[[Any], Any]:
    """A `BeforeValidator` function refusing unknown keys for `model`."""

    def check(data: Any) -> Any:
        unknown = unknown_fields(model, data)
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(set(unknown)))}")
        return data

    return check
