"""ETags for mutable resources and the If-Match check on updates."""

from __future__ import annotations

from shared.problems import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    """A strong ETag for a resource version."""
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """Raise unless If-Match names the current version (or is `*`)."""
    if if_match is None:
        raise PreconditionRequired("send the resource's ETag in If-Match")
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or etag_for(version) in candidates:
        return
    raise PreconditionFailed("the resource was changed since it was read")
