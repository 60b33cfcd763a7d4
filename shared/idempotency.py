"""Idempotency-Key support: the key is claimed in the transaction of the change it guards.

One path for every creating endpoint: `claim` at the start of the transaction (a concurrent
request with the same key waits on the row until the first one commits or rolls back), run
the change, `record` the response in the claimed row, commit once. A request whose key was
answered before ends with `AlreadyAnswered`, which carries the stored response to replay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.base import utcnow
from shared.db.tables import IDEMPOTENCY
from shared.db.uow import UnitOfWork
from shared.problems import IdempotencyKeyInProgress, IdempotencyKeyReused

# How long a repeat waits for a request with the same key that is still running before it
# answers 409; creating transactions take milliseconds, so this only trips on a stuck one.
CLAIM_LOCK_TIMEOUT = "2s"
LOCK_NOT_AVAILABLE = "55P03"
# Status of a claimed row whose response is not recorded yet; `record` replaces it before the
# commit, so other transactions never see it unless a caller forgot to record.
_PENDING = 0

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x20-\x7e]+$",
        description="Repeat a creating request safely: same key and body return the first result",
    ),
]


@dataclass(frozen=True)
class IdempotencyRequest:
    """The key and a hash of the request it arrived with."""

    org: str
    key: str
    request_hash: str

    @classmethod
    def of(cls, org: str, key: str | None, *parts: bytes) -> IdempotencyRequest | None:
        """None when no key was sent."""
        if key is None:
            return None
        digest = hashlib.sha256()
        for part in parts:
            digest.update(hashlib.sha256(part).digest())
        return cls(org=org, key=key, request_hash=digest.hexdigest())


def json_response(
    status_code: int, body_json: str, headers: dict[str, str], *, replayed: bool = False
) -> Response:
    """The response exactly as stored: the same bytes for the first answer and every replay."""
    out = dict(headers)
    if replayed:
        out["Idempotent-Replayed"] = "true"
    return Response(body_json, status_code=status_code, media_type="application/json", headers=out)


class AlreadyAnswered(Exception):
    """The key was answered before: end the transaction and send the stored response."""

    def __init__(self, response: Response) -> None:
        super().__init__("Idempotency-Key already answered")
        self.response = response


async def claim(session: AsyncSession, request: IdempotencyRequest | None) -> None:
    """Claim the key in the session's transaction, before the change it guards.

    Raises `AlreadyAnswered` for a completed repeat, `IdempotencyKeyReused` for another body
    under the key and `IdempotencyKeyInProgress` while a request with it is still running.
    """
    if request is None:
        return
    # INSERT ... ON CONFLICT waits for a concurrent, uncommitted holder of the key; the lock
    # timeout bounds that wait, then resets so the change itself waits as usual.
    await session.execute(text(f"SET LOCAL lock_timeout = '{CLAIM_LOCK_TIMEOUT}'"))
    try:
        claimed = await session.scalar(
            insert(IDEMPOTENCY)
            .values(
                org=request.org,
                key=request.key,
                request_hash=request.request_hash,
                status_code=_PENDING,
                response_body="",
                response_headers={},
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=[IDEMPOTENCY.c.org, IDEMPOTENCY.c.key])
            .returning(IDEMPOTENCY.c.key)
        )
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise IdempotencyKeyInProgress(
                "a request with this Idempotency-Key is in progress; retry shortly"
            ) from exc
        raise
    await session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    if claimed is not None:
        return
    row = (
        await session.execute(
            select(
                IDEMPOTENCY.c.request_hash,
                IDEMPOTENCY.c.status_code,
                IDEMPOTENCY.c.response_body,
                IDEMPOTENCY.c.response_headers,
            ).where(IDEMPOTENCY.c.org == request.org, IDEMPOTENCY.c.key == request.key)
        )
    ).one_or_none()
    if row is not None and row.request_hash != request.request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was used with another request body")
    if row is None or row.status_code == _PENDING:
        # Purged by housekeeping between the two statements, or committed unrecorded.
        raise IdempotencyKeyInProgress("a request with this Idempotency-Key is in progress")
    raise AlreadyAnswered(
        json_response(row.status_code, row.response_body, dict(row.response_headers), replayed=True)
    )


async def record(
    session: AsyncSession,
    request: IdempotencyRequest | None,
    status_code: int,
    body_json: str,
    headers: dict[str, str],
) -> None:
    """Store the response in the claimed row; it commits with the change it reports."""
    if request is None:
        return
    await session.execute(
        update(IDEMPOTENCY)
        .where(IDEMPOTENCY.c.org == request.org, IDEMPOTENCY.c.key == request.key)
        .values(status_code=status_code, response_body=body_json, response_headers=headers)
    )


async def settle(
    session: AsyncSession,
    request: IdempotencyRequest | None,
    status_code: int,
    body_json: str,
    headers: dict[str, str],
) -> None:
    """Claim the key and record the response together, as the last step before a commit.

    For use cases that open and commit their own transaction (a before-commit hook): the
    claim waits for a concurrent holder of the key like `claim`, and `AlreadyAnswered` rolls
    the change back, so a repeat still has exactly one effect.
    """
    await claim(session, request)
    await record(session, request, status_code, body_json, headers)


async def respond_once(
    uow: UnitOfWork,
    request: IdempotencyRequest | None,
    create: Callable[[], Awaitable[tuple[int, BaseModel, dict[str, str]]]],
) -> Response:
    """Run a creating use case once per Idempotency-Key and commit it with its response."""
    try:
        async with uow:
            await claim(uow.session, request)
            status, body, headers = await create()
            body_json = body.model_dump_json()
            await record(uow.session, request, status, body_json, headers)
            await uow.commit()
    except AlreadyAnswered as answered:
        return answered.response
    return json_response(status, body_json, headers)
