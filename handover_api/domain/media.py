"""Media-type sniffing for uploaded documents: the content decides, not the client's header."""

from __future__ import annotations

ACCEPTED_MEDIA_TYPES: tuple[str, ...] = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "application/xml",
    "application/json",
    "text/plain",
)


def sniff_media_type(head: bytes) -> str | None:
    """The accepted media type the first bytes show, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The head may cut a multi-byte character; retry without the last 3 bytes.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if any(ch in text for ch in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f"):
        return None
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<?xml") or stripped.startswith("<"):
        return "application/xml"
    if stripped.startswith(("{", "[")):
        return "application/json"
    return "text/plain"
