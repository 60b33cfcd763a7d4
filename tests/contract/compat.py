"""Backward-compatibility check between a pinned JSON schema and the current one."""

from __future__ import annotations

from typing import Any


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = root["$defs"][ref.removeprefix("#/$defs/")]
        return resolved
    return schema


def breaking_changes(
    old: dict[str, Any],
    new: dict[str, Any],
    path: str = "$",
    old_root: dict[str, Any] | None = None,
    new_root: dict[str, Any] | None = None,
) -> list[str]:
    """What `new` breaks for producers and consumers written against `old`.

    Allowed: new optional properties, new $defs. Everything else is breaking: removed or
    renamed properties, newly required properties, changed types or enum values removed.
    """
    old_root = old_root or old
    new_root = new_root or new
    old = _resolve(old, old_root)
    new = _resolve(new, new_root)
    problems: list[str] = []
    if old.get("type") != new.get("type"):
        problems.append(f"{path}: type {old.get('type')} -> {new.get('type')}")
    if "enum" in old:
        removed = set(old["enum"]) - set(new.get("enum", []))
        if removed:
            problems.append(f"{path}: enum values removed {sorted(removed)}")
    if "const" in old and old.get("const") != new.get("const"):
        problems.append(f"{path}: const changed")
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{path}.{name}: removed")
            continue
        problems += breaking_changes(
            old_prop, new_props[name], f"{path}.{name}", old_root, new_root
        )
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    if newly_required:
        problems.append(f"{path}: newly required {sorted(newly_required)}")
    for key in ("items", "additionalProperties"):
        if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
            problems += breaking_changes(old[key], new[key], f"{path}[]", old_root, new_root)
    for key in ("anyOf", "oneOf"):
        if key in old and key in new and len(new[key]) >= len(old[key]):
            for index, (a, b) in enumerate(zip(old[key], new[key], strict=False)):
                problems += breaking_changes(a, b, f"{path}<{index}>", old_root, new_root)
    return problems
