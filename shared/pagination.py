"""Cursor pagination: opaque cursors that encode the last seen sort key."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from shared.problems import InvalidCursor
from shared.strict import within_date_range

T = TypeVar("T")
MAX_BIGINT = 2**63 - 1

LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size")]
CursorQuery = Annotated[
    str | None, Query(max_length=500, description="`next_cursor` of the previous page")
]


class Page(BaseModel, Generic[T]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page")


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque cursor for the given sort position."""
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The sort position in a cursor, or None for the first page."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is not valid") from exc
    if not isinstance(value, dict):
        raise InvalidCursor("cursor is not valid")
    return value


R = TypeVar("R")


def next_page(
    rows: Sequence[R], limit: int, cursor_of: Callable[[R], str]
) -> tuple[Sequence[R], str | None]:
    """Split `limit + 1` fetched rows into this page and the cursor of the next one."""
    if len(rows) > limit:
        return rows[:limit], cursor_of(rows[limit - 1])
    return rows, None


def id_cursor(row_id: uuid.UUID | int) -> str:
    """A cursor after the row with this id (lists ordered by id)."""
    return encode_cursor({"id": str(row_id)})


def uuid_after(cursor: str | None) -> uuid.UUID | None:
    """The UUID position inside a cursor from `id_cursor`."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return uuid.UUID(str(position["id"]))
    except (KeyError, ValueError) as exc:
        raise InvalidCursor("cursor is not valid") from exc


def int_after(cursor: str | None) -> int | None:
    """The integer position inside a cursor from `id_cursor`."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        value = int(str(position["id"]))
    except (KeyError, ValueError) as exc:
        raise InvalidCursor("cursor is not valid") from exc
    # Ids are BIGINT: a larger number would fail in the database, not here.
    if not 0 <= value <= MAX_BIGINT:
        raise InvalidCursor("cursor is not valid")
    return value


def position_cursor(at: datetime, row_id: uuid.UUID) -> str:
    """A cursor after the row with this sort key (lists ordered by a timestamp, then id)."""
    return encode_cursor({"at": at.isoformat(), "id": str(row_id)})


def read_position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The sort key inside a cursor from `position_cursor`."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        at = datetime.fromisoformat(str(position["at"]))
        row_id = uuid.UUID(str(position["id"]))
    except (KeyError, ValueError) as exc:
        raise InvalidCursor("cursor is not valid") from exc
    if at.tzinfo is None or not within_date_range(at):
        raise InvalidCursor("cursor is not valid")
    return at, row_id
