"""The streaming multipart reader hands file bytes on while the body is still arriving."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from handover_api.adapters.multipart import MultipartError, read_upload

BOUNDARY = "----b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def form(*parts: tuple[str, bytes, str | None]) -> bytes:
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            out += b"Content-Type: application/pdf\r\n"
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def chunked(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


class Recorder:
    """A file consumer that records how the bytes arrived."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def __call__(self, data: AsyncIterator[bytes]) -> str:
        digest = hashlib.sha256()
        async for chunk in data:
            self.chunks.append(chunk)
            digest.update(chunk)
        return digest.hexdigest()


async def test_file_first_then_fields_in_small_chunks() -> None:
    content = b"%PDF-1.7 " + bytes(range(256)) * 40
    body = form(("file", content, "cv.pdf"), ("type", b"CV_CERTIFICATES", None))
    recorder = Recorder()

    fields, digest = await read_upload(CONTENT_TYPE, chunked(body, 700), recorder)

    assert fields.fields == {"type": "CV_CERTIFICATES"}
    assert fields.filename == "cv.pdf"
    assert digest == hashlib.sha256(content).hexdigest()
    assert len(recorder.chunks) > 10, "the file arrives in pieces, not after the whole body"


async def test_fields_before_the_file() -> None:
    body = form(
        ("type", b"OTHER", None), ("legal_basis", b"69-1-1-SGB-X", None), ("file", b"x", "a")
    )
    fields, digest = await read_upload(CONTENT_TYPE, chunked(body, 5), Recorder())
    assert fields.fields == {"type": "OTHER", "legal_basis": "69-1-1-SGB-X"}
    assert digest == hashlib.sha256(b"x").hexdigest()


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/json", b"{}", "multipart/form-data"),
        (CONTENT_TYPE, form(("type", b"OTHER", None)), "no `file` part"),
        (CONTENT_TYPE, form(("type", b"x" * 2000, None), ("file", b"x", "a")), "longer than"),
        (
            CONTENT_TYPE,
            form(*[(f"f{n}", b"v", None) for n in range(11)], ("file", b"x", "a")),
            "more than 10 parts",
        ),
    ],
    ids=["not-multipart", "no-file", "long-field", "too-many-parts"],
)
async def test_malformed_forms_are_refused(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(MultipartError, match=message):
        await read_upload(content_type, chunked(body, 64), Recorder())
