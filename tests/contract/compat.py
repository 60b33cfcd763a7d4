"""Backward-compatibility check between a pinned contract and the current one.

Two levels: `breaking_changes` compares two JSON schemas (an event payload, a request
body, a response body); `breaking_operation_changes` compares two OpenAPI documents
operation by operation (ids, security scopes, parameters, request bodies, responses),
following `$ref`s into each document's own components, so a renamed component with the
same shape passes and a changed shape fails wherever it is used.

Only additive changes pass: a new optional property, a new operation, a new response code,
a new optional parameter, a new media type.

Which side reads a schema decides what breaks it (`Direction`):
* `request`: the client writes, the service reads. A newly required property breaks old
  clients; a removed property breaks them too (request models forbid extra fields).
* `response`: the service writes, the client reads. A removed property, or one that was
  always present and may now be missing, breaks old clients; so does a new union variant.
* `both` (events, whose producers and consumers deploy independently): both sets of rules.
"""

from __future__ import annotations

from typing import Any, Literal

Direction = Literal["request", "response", "both"]
Schema = dict[str, Any]

_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


def _pointer(root: Schema, ref: str) -> Schema:
    """Follow a local JSON pointer (`#/$defs/X`, `#/components/schemas/X`)."""
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    resolved: Schema = node
    return resolved


def _resolve(schema: Schema, root: Schema) -> tuple[Schema, str | None]:
    """The schema a `$ref` (or a lone `allOf` wrapper) stands for, and the ref followed."""
    all_of = schema.get("allOf")
    if "$ref" not in schema and isinstance(all_of, list) and len(all_of) == 1:
        schema = all_of[0]
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        return _pointer(root, ref), ref
    return schema, None


def _variants(schema: Schema) -> list[Schema] | None:
    for key in ("anyOf", "oneOf"):
        variants = schema.get(key)
        if isinstance(variants, list):
            return variants
    return None


def breaking_changes(
    old: Schema,
    new: Schema,
    path: str = "$",
    old_root: Schema | None = None,
    new_root: Schema | None = None,
    *,
    direction: Direction = "both",
    _seen: frozenset[tuple[str, str]] = frozenset(),
) -> list[str]:
    """What `new` breaks for producers and consumers written against `old`.

    Always breaking: a removed property, a changed type or format, a removed enum value or
    changed const, a union variant with no compatible counterpart. By direction: a newly
    required property or a tightened bound or pattern (request, both), a property no longer
    required (response, both), a new union variant (response, both). New optional
    properties and new `$defs` pass.
    """
    old_root = old if old_root is None else old_root
    new_root = new if new_root is None else new_root
    old, old_ref = _resolve(old, old_root)
    new, new_ref = _resolve(new, new_root)
    if old_ref is not None and new_ref is not None:
        # Recursive schemas: a pair of refs already being compared is not compared again.
        if (old_ref, new_ref) in _seen:
            return []
        _seen = _seen | {(old_ref, new_ref)}

    def nested(a: Schema, b: Schema, where: str) -> list[str]:
        return breaking_changes(a, b, where, old_root, new_root, direction=direction, _seen=_seen)

    problems: list[str] = []
    if old.get("type") != new.get("type"):
        problems.append(f"{path}: type {old.get('type')} -> {new.get('type')}")
    if old.get("format") != new.get("format"):
        problems.append(f"{path}: format {old.get('format')} -> {new.get('format')}")
    if "enum" in old:
        removed = [v for v in old["enum"] if v not in new.get("enum", [])]
        if removed:
            problems.append(f"{path}: enum values removed {sorted(map(str, removed))}")
    if "const" in old and old.get("const") != new.get("const"):
        problems.append(f"{path}: const changed")
    if direction in ("request", "both"):
        problems += _tightened(old, new, path)
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{path}.{name}: removed")
            continue
        problems += nested(old_prop, new_props[name], f"{path}.{name}")
    old_required = set(old.get("required", []))
    new_required = set(new.get("required", []))
    if direction in ("request", "both"):
        newly_required = new_required - old_required
        if newly_required:
            problems.append(f"{path}: newly required {sorted(newly_required)}")
    if direction in ("response", "both"):
        optional_now = {name for name in old_required - new_required if name in new_props}
        if optional_now:
            problems.append(f"{path}: no longer required {sorted(optional_now)}")
    for key in ("items", "additionalProperties"):
        if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
            problems += nested(old[key], new[key], f"{path}[]")
        elif isinstance(old.get(key), dict) and key == "items":
            problems.append(f"{path}[]: items schema removed")
    old_variants = _variants(old)
    new_variants = _variants(new)
    if old_variants is not None and new_variants is not None:
        for index, variant in enumerate(old_variants):
            closest = _closest([nested(variant, other, path) for other in new_variants], path)
            if closest is None:
                problems.append(f"{path}<{index}>: no compatible variant left")
            else:
                problems += closest
        if direction in ("response", "both"):
            for index, variant in enumerate(new_variants):
                if _closest([nested(other, variant, path) for other in old_variants], path) is None:
                    problems.append(f"{path}<{index}>: new variant")
    return problems


_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def _tightened(old: Schema, new: Schema, path: str) -> list[str]:
    """Constraints that now reject values the old schema accepted."""
    problems: list[str] = []
    for key in _LOWER_BOUNDS + _UPPER_BOUNDS:
        if key not in new:
            continue
        before, after = old.get(key), new[key]
        looser = before is not None and (
            after <= before if key in _LOWER_BOUNDS else after >= before
        )
        if not looser:
            problems.append(f"{path}: {key} {before} -> {after}")
    if "pattern" in new and old.get("pattern") != new["pattern"]:
        problems.append(f"{path}: pattern {old.get('pattern')} -> {new['pattern']}")
    return problems


def _closest(candidates: list[list[str]], path: str) -> list[str] | None:
    """The problems against the best-matching union variant, None if none has the same shape.

    A variant that differs only below `path` (a removed property, a nested type change) is
    the same variant changed, and its own problems say what broke.
    """
    nested = [
        problems
        for problems in candidates
        if all(p.startswith((f"{path}.", f"{path}[", f"{path}<")) for p in problems)
    ]
    return min(nested, key=len) if nested else None


def operations(document: Schema) -> dict[str, Schema]:
    """Every operation of an OpenAPI document, keyed `METHOD /path`."""
    return {
        f"{method.upper()} {path}": op
        for path, item in document.get("paths", {}).items()
        for method, op in item.items()
        if method in _METHODS
    }


def _scopes(op: Schema) -> dict[str, set[str]]:
    granted: dict[str, set[str]] = {}
    for requirement in op.get("security", []):
        for scheme, scopes in requirement.items():
            granted.setdefault(scheme, set()).update(scopes)
    return granted


PROBLEM = "application/problem+json"


def _parameters(op: Schema) -> dict[str, Schema]:
    return {f"{p['in']} {p['name']}": p for p in op.get("parameters", [])}


def _content_changes(
    old: Schema,
    new: Schema,
    where: str,
    old_doc: Schema,
    new_doc: Schema,
    direction: Direction,
    *,
    error_response: bool = False,
) -> list[str]:
    problems: list[str] = []
    new_content: Schema = new.get("content", {})
    for media_type, old_media in old.get("content", {}).items():
        if error_response and media_type == "application/json" and PROBLEM in new_content:
            # A documentation fix, not a wire change: error answers were always sent as
            # application/problem+json (shared.problems); the application/json entry, and
            # FastAPI's HTTPValidationError for 422, described an answer never given.
            continue
        if media_type not in new_content:
            problems.append(f"{where} {media_type}: media type removed")
            continue
        old_schema = old_media.get("schema")
        new_schema = new_content[media_type].get("schema")
        if old_schema is None:
            continue
        if new_schema is None:
            problems.append(f"{where} {media_type}: schema removed")
            continue
        problems += breaking_changes(
            old_schema, new_schema, f"{where} {media_type}", old_doc, new_doc, direction=direction
        )
    return problems


def _operation_changes(
    key: str, old: Schema, new: Schema, old_doc: Schema, new_doc: Schema
) -> list[str]:
    problems: list[str] = []
    if old.get("operationId") != new.get("operationId"):
        problems.append(f"{key}: operationId {old.get('operationId')} -> {new.get('operationId')}")
    old_scopes = _scopes(old)
    for scheme, scopes in _scopes(new).items():
        if scheme not in old_scopes or scopes - old_scopes[scheme]:
            extra = sorted(scopes - old_scopes.get(scheme, set()))
            problems.append(f"{key}: security {scheme} now needs {extra}")
    old_params = _parameters(old)
    new_params = _parameters(new)
    for name, param in old_params.items():
        if name not in new_params:
            problems.append(f"{key} parameter {name}: removed")
            continue
        if new_params[name].get("required", False) and not param.get("required", False):
            problems.append(f"{key} parameter {name}: now required")
        if "schema" in param and "schema" in new_params[name]:
            problems += breaking_changes(
                param["schema"],
                new_params[name]["schema"],
                f"{key} parameter {name}",
                old_doc,
                new_doc,
                direction="request",
            )
    for name, param in new_params.items():
        if name not in old_params and param.get("required", False):
            problems.append(f"{key} parameter {name}: new and required")
    old_body = old.get("requestBody")
    new_body = new.get("requestBody")
    if old_body is None:
        if new_body is not None and new_body.get("required", False):
            problems.append(f"{key} request body: new and required")
    elif new_body is None:
        problems.append(f"{key} request body: removed")
    else:
        if new_body.get("required", False) and not old_body.get("required", False):
            problems.append(f"{key} request body: now required")
        problems += _content_changes(
            old_body, new_body, f"{key} request body", old_doc, new_doc, "request"
        )
    new_responses: Schema = new.get("responses", {})
    for code, response in old.get("responses", {}).items():
        if code not in new_responses:
            problems.append(f"{key} response {code}: removed")
            continue
        problems += _content_changes(
            response,
            new_responses[code],
            f"{key} response {code}",
            old_doc,
            new_doc,
            "response",
            error_response=code.isdigit() and 400 <= int(code) < 500,
        )
        for header in response.get("headers", {}):
            if header not in new_responses[code].get("headers", {}):
                problems.append(f"{key} response {code} header {header}: removed")
    return problems


def breaking_operation_changes(old_doc: Schema, new_doc: Schema) -> list[str]:
    """What `new_doc` breaks for clients written against the OpenAPI document `old_doc`."""
    problems: list[str] = []
    new_ops = operations(new_doc)
    for key, old_op in operations(old_doc).items():
        if key not in new_ops:
            problems.append(f"{key}: operation removed")
            continue
        problems += _operation_changes(key, old_op, new_ops[key], old_doc, new_doc)
    return problems
