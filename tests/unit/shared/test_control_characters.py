"""No request of any service accepts a control character (NUL included) in any text it takes.

Every route of the three apps is walked: request body models (recursively: nested models,
lists, unions, dictionary keys and values), query, path, header and form parameters. Each
text-accepting place is offered strings with control characters; every one must be refused.
A new field without `CleanText` (or an equivalent pattern) makes this test fail.
"""

from __future__ import annotations

import collections.abc
import enum
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from fastapi import FastAPI
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError

from eligibility_api.app import create_app as create_eligibility
from handover_api.app import create_app as create_handover
from notifications_api.app import create_app as create_notifications
from shared.etag import check_if_match, etag_for, not_modified
from shared.pagination import encode_cursor, id_cursor, int_after, read_position, uuid_after
from shared.problems import InvalidCursor, PreconditionFailed

# NUL, other C0 controls, DEL and a C1 control, each inside otherwise ordinary text.
BAD_TEXTS = ["ab\x00cd", "\x00", "ab\x01", "a\x1bb", "ab\x7f", "a\x85b", "a\u009bb"]
# Values that make sibling constraints pass, so a refusal is due to the control character.
SAMPLES = ["Witten", "abc", "ABC123", "a", "https://hooks.example.de/in", "x@example.de"]


Validate = Callable[[Any], bool]
Wrap = Callable[[Any], list[Any]]


@dataclass(frozen=True)
class Place:
    """A text-accepting place in a request: where it is, how a value reaches it, its check."""

    where: str
    wrap: Wrap
    accepts: Validate


def apps() -> dict[str, FastAPI]:
    return {
        "handover_api": create_handover(),
        "eligibility_api": create_eligibility(),
        "notifications_api": create_notifications(),
    }


def _model_accepts(model: type[BaseModel], name: str) -> Validate:
    field = model.model_fields[name]
    annotated: Any = Annotated[field.annotation, field]
    adapter: TypeAdapter[Any] = TypeAdapter(annotated)

    def accepts(value: Any) -> bool:
        try:
            adapter.validate_python(value)
        except (ValidationError, ValueError, TypeError):
            return False
        return True

    return accepts


def _param_accepts(param: ModelField) -> Validate:
    def accepts(value: Any) -> bool:
        try:
            _, errors = param.validate(value, {}, loc=("probe",))
        except (ValidationError, ValueError, TypeError):
            return False
        return not errors

    return accepts


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union (or the type itself), without Annotated wrappers."""
    if typing.get_origin(annotation) is Annotated:
        return _members(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) is typing.Union or isinstance(annotation, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _is_text(annotation: Any) -> bool:
    if annotation is str or annotation is Any:
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum | BaseModel):
        return False
    # Constrained string types of pydantic (EmailStr, URLs, secrets) take text too.
    return isinstance(annotation, type) and annotation.__module__.startswith("pydantic")


def _places(
    annotation: Any,
    where: str,
    wrap: Wrap,
    accepts: Validate,
    seen: frozenset[type[BaseModel]],
) -> Iterator[Place]:
    """Every place under `annotation` where text goes, as values `accepts` is asked about."""
    for member in _members(annotation):
        origin = typing.get_origin(member)
        if _is_text(member):
            yield Place(where, wrap, accepts)
        elif isinstance(member, type) and issubclass(member, BaseModel):
            if member in seen:
                continue
            for name, field in member.model_fields.items():
                # The nested model validates its own fields: ask it directly.
                yield from _places(
                    field.annotation,
                    f"{where}.{field.alias or name}",
                    _same,
                    _model_accepts(member, name),
                    seen | {member},
                )
        elif origin in (list, tuple, set, frozenset, collections.abc.Sequence):
            (item, *_) = typing.get_args(member) or (Any,)
            yield from _places(item, f"{where}[]", _in_list(wrap), accepts, seen)
        elif origin in (dict, collections.abc.Mapping):
            key, value = typing.get_args(member) or (Any, Any)
            yield from _places(key, f"{where}{{key}}", _as_key(wrap), accepts, seen)
            yield from _places(value, f"{where}{{value}}", _as_value(wrap), accepts, seen)


# Values a dictionary key is tried with, so the key alone decides.
_FILLERS: list[Any] = [None, 0, "x", True, [], {}]


def _same(value: Any) -> list[Any]:
    return [value]


def _in_list(outer: Wrap) -> Wrap:
    return lambda value: outer([value])


def _as_key(outer: Wrap) -> Wrap:
    return lambda value: [v for filler in _FILLERS for v in outer({value: filler})]


def _as_value(outer: Wrap) -> Wrap:
    return lambda value: outer({"k": value})


def api_routes(routes: list[Any]) -> Iterator[tuple[str, Dependant]]:
    """Every API operation as (methods and full path, dependant), included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield f"{','.join(sorted(route.methods or ()))} {route.path}", route.dependant
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # a router included into the app
            for context in contexts():
                if isinstance(context.original_route, APIRoute):
                    name = f"{','.join(sorted(context.methods))} {context.path}"
                    yield name, context.dependant


def request_places(app: FastAPI) -> Iterator[Place]:
    for name, root in api_routes(app.routes):
        pending = [root]
        while pending:
            dependant = pending.pop()
            pending.extend(dependant.dependencies)
            for kind, params in (
                ("query", dependant.query_params),
                ("path", dependant.path_params),
                ("header", dependant.header_params),
                ("cookie", dependant.cookie_params),
                ("body", dependant.body_params),
            ):
                for param in params:
                    yield from _places(
                        param.field_info.annotation,
                        f"{name} {kind} {param.alias}",
                        _same,
                        _param_accepts(param),
                        frozenset(),
                    )


def let_through(place: Place) -> list[str]:
    """The control-character strings the place accepts (as the API would store them)."""
    found = []
    for bad in BAD_TEXTS:
        for sample in SAMPLES:
            for text in (bad, sample + bad, bad + sample, sample[:1] + bad + sample[1:]):
                if any(place.accepts(value) for value in place.wrap(text)):
                    found.append(text)
    return found


# Parameters that never reach the database or a log: each is parsed or compared where it is
# used, and a control character there is refused (tested below), not stored.
NOT_STORED = (" query cursor", " header If-Match", " header If-None-Match")

ALL_PLACES = [
    (service, place)
    for service, app in apps().items()
    for place in request_places(app)
    if not place.where.endswith(NOT_STORED)
]


def test_the_walk_finds_the_text_fields_it_must_check() -> None:
    wheres = {place.where for _, place in ALL_PLACES}
    assert len(ALL_PLACES) > 40
    # A few that must be among them (body, nested model, query, header).
    assert any(w.startswith("POST /v1/cases body") and ".person." in w for w in wheres)
    assert any(" query " in w for w in wheres)
    assert any(" header Idempotency-Key" in w for w in wheres)


@pytest.mark.parametrize(
    ("service", "place"), ALL_PLACES, ids=[f"{s}:{p.where}" for s, p in ALL_PLACES]
)
def test_control_characters_are_refused(service: str, place: Place) -> None:
    accepted = let_through(place)
    assert not accepted, f"{service} {place.where} accepts {accepted[:3]!r}"


class TestParametersThatAreNotStored:
    @pytest.mark.parametrize("bad", BAD_TEXTS)
    def test_a_cursor_with_a_control_character_is_invalid(self, bad: str) -> None:
        for cursor in (bad, id_cursor(1) + bad, encode_cursor({"id": bad})):
            with pytest.raises(InvalidCursor):
                uuid_after(cursor)
            with pytest.raises(InvalidCursor):
                int_after(cursor)
        with pytest.raises(InvalidCursor):
            read_position(encode_cursor({"at": "2026-03-02T10:00:00+00:00", "id": bad}))

    @pytest.mark.parametrize("bad", BAD_TEXTS)
    def test_an_etag_with_a_control_character_never_matches(self, bad: str) -> None:
        with pytest.raises(PreconditionFailed):
            check_if_match(etag_for(3) + bad, 3)
        assert not not_modified(etag_for(3) + bad, 3)
