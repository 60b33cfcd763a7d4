"""Strict request input: no unknown fields, dates in a sane range, text without control characters.

Event models ignore unknown fields (so added optional fields stay compatible); a request
body must not: `forbid_unknown(Model)` rejects unknown keys at every nesting level.
`RangedDate`, `RangedDatetime` and `CleanText` refuse values that a consumer or PostgreSQL
could not process, so accepted input never fails later.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel

_D = TypeVar("_D", bound=date)


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


# Dates any consumer can compute with: far enough from date.min and date.max that adding
# entitlement periods or converting time zones can never overflow.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# C0 and C1 control characters (tab, line feed and carriage return stay allowed), DEL and
# lone surrogates: PostgreSQL refuses NUL, UTF-8 cannot encode a surrogate.
_FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def within_date_range(value: date) -> bool:
    """Whether a date (or the calendar day of a datetime, as written) is in the sane range."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def _check_date_range(value: _D) -> _D:
    if not within_date_range(value):
        raise ValueError(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


def _check_text(value: str) -> str:
    if _FORBIDDEN_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


RangedDate = Annotated[date, AfterValidator(_check_date_range)]
RangedDatetime = Annotated[datetime, AfterValidator(_check_date_range)]
RangedAwareDatetime = Annotated[AwareDatetime, AfterValidator(_check_date_range)]
CleanText = Annotated[str, AfterValidator(_check_text)]


def dates_out_of_range(model: BaseModel, prefix: str = "") -> list[str]:
    """Dotted paths of the dates in `model` (recursively) outside the sane range.

    For models built without validation, e.g. facts stored before the range was enforced.
    """
    found: list[str] = []
    for name in type(model).model_fields:
        found.extend(_dates_out_of_range(getattr(model, name, None), f"{prefix}{name}"))
    return found


def _dates_out_of_range(value: Any, path: str) -> list[str]:
    if isinstance(value, date):
        return [] if within_date_range(value) else [path]
    if isinstance(value, BaseModel):
        return dates_out_of_range(value, f"{path}.")
    if isinstance(value, list | tuple):
        return [
            p for i, item in enumerate(value) for p in _dates_out_of_range(item, f"{path}[{i}]")
        ]
    return []
