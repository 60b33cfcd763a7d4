"""ETags for mutable resources: If-Match on changes, If-None-Match on reads (RFC 9110 §13).

If-Match uses the strong comparison: a weak tag (`W/"3"`) never matches. If-None-Match uses
the weak comparison, so a cache holding a weak tag still gets `304 Not Modified`.
"""

from __future__ import annotations

from shared.problems import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    """A strong ETag for a resource version."""
    return f'"{version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def check_if_match(if_match: str | None, version: int) -> None:
    """Raise unless If-Match names the current version by a strong tag (or is `*`)."""
    if if_match is None:
        raise PreconditionRequired("send the resource's ETag in If-Match")
    tags = _tags(if_match)
    if "*" in tags or etag_for(version) in tags:
        return
    if any(tag.startswith("W/") for tag in tags):
        raise PreconditionFailed("If-Match needs the strong ETag; a weak one never matches")
    raise PreconditionFailed("the resource was changed since it was read")


def not_modified(if_none_match: str | None, version: int) -> bool:
    """Whether If-None-Match names the current version (weak comparison, or `*`)."""
    if if_none_match is None:
        return False
    tags = {tag.removeprefix("W/") for tag in _tags(if_none_match)}
    return "*" in tags or etag_for(version) in tags
