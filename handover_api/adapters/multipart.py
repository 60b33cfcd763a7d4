"""Streaming multipart/form-data: file bytes flow to the blob store as they arrive.

Starlette's form parser spools a whole file to disk before the route sees it; this reader
hands each chunk of the `file` part on while the request is still streaming, so sha256,
size and the media-type sniff happen on the way in and the size limit stops the upload
as soon as it is crossed.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from python_multipart.multipart import MultipartParser, parse_options_header

T = TypeVar("T")

MAX_FIELD_BYTES = 1024
MAX_PARTS = 10


class MultipartError(ValueError):
    """The body is not the multipart form the operation documents."""


@dataclass(frozen=True)
class _Start:
    name: str
    filename: str | None


@dataclass(frozen=True)
class _Data:
    data: bytes


@dataclass(frozen=True)
class _End:
    pass


_Event = _Start | _Data | _End


@dataclass
class UploadForm:
    """Text fields of the form, and what the file consumer made of the `file` part."""

    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None


async def _events(content_type: str, body: AsyncIterable[bytes]) -> AsyncIterator[_Event]:
    media_type, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise MultipartError("expected multipart/form-data with a boundary")
    pending: list[_Event] = []
    headers: dict[bytes, bytes] = {}
    header_field = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        name = disposition.get(b"name")
        if name is None:
            raise MultipartError("a part has no name")
        filename = disposition.get(b"filename")
        pending.append(
            _Start(name.decode(), filename.decode(errors="replace") if filename else None)
        )

    def on_part_data(data: bytes, start: int, end: int) -> None:
        pending.append(_Data(bytes(data[start:end])))

    def on_part_end() -> None:
        pending.append(_End())

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    async for chunk in body:
        parser.write(chunk)
        for event in pending:
            yield event
        pending.clear()
    parser.finalize()
    for event in pending:
        yield event


async def read_upload(
    content_type: str,
    body: AsyncIterable[bytes],
    consume_file: Callable[[AsyncIterator[bytes]], Awaitable[T]],
) -> tuple[UploadForm, T]:
    """Parse the form; the `file` part's bytes go to `consume_file` while they stream in."""
    form = UploadForm()
    result: T | None = None
    have_file = False
    parts = 0
    events = _events(content_type, body)
    async for event in events:
        if not isinstance(event, _Start):
            continue
        parts += 1
        if parts > MAX_PARTS:
            raise MultipartError(f"more than {MAX_PARTS} parts")
        if event.name == "file" and not have_file:

            async def file_bytes() -> AsyncIterator[bytes]:
                async for inner in events:
                    if isinstance(inner, _End):
                        return
                    if isinstance(inner, _Data):
                        yield inner.data

            have_file = True
            form.filename = event.filename
            result = await consume_file(file_bytes())
            continue
        value = bytearray()
        async for inner in events:
            if isinstance(inner, _End):
                break
            if isinstance(inner, _Data):
                value.extend(inner.data)
                if len(value) > MAX_FIELD_BYTES:
                    raise MultipartError(f"field {event.name!r} is longer than {MAX_FIELD_BYTES}")
        form.fields[event.name] = value.decode(errors="replace")
    if not have_file or result is None:
        raise MultipartError("the form has no `file` part")
    return form, result
