"""Idempotency-Key support: the key is claimed in the transaction of the change it guards.

One path for every creating endpoint, inside the use case that owns the transaction:
`claim` at its start (a concurrent request with the same key waits on the row until the
first one commits or rolls back, then replays its answer, or gets 409 after
`CLAIM_LOCK_TIMEOUT`), run the change, `record_answer` in the claimed row, commit once. A
request whose key was answered before gets the stored `Answer` back from `claim` and
changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.base import utcnow
from shared.db.tables import IDEMPOTENCY
from shared.problems import IdempotencyKeyInProgress, IdempotencyKeyReused

# How long a repeat waits for a request with the same key that is still running before it
# answers 409; creating transactions take milliseconds, so this only trips on a stuck one.
CLAIM_LOCK_TIMEOUT = "2s"
LOCK_NOT_AVAILABLE = "55P03"
# Status of a claimed row whose response is not recorded yet; `record` replaces it before the
# commit, so other transactions never see it unless a caller forgot to record.
_PENDING = 0


@dataclass(frozen=True)
class IdempotencyRequest:
    """The key and the fingerprint of the request it arrived with."""

    org: str
    key: str
    request_hash: str

    @classmethod
    def of(cls, org: str, key: str | None, *parts: bytes) -> IdempotencyRequest | None:
        """None when no key was sent; the fingerprint hashes each part, then their hashes."""
        if key is None:
            return None
        digest = hashlib.sha256()
        for part in parts:
            digest.update(hashlib.sha256(part).digest())
        return cls(org=org, key=key, request_hash=digest.hexdigest())

    @classmethod
    def for_body(
        cls, org: str, key: str | None, operation: str, body: BaseModel
    ) -> IdempotencyRequest | None:
        """The fingerprint rule: the operation and the parsed body as normalised JSON.

        Hashing the parsed body makes the same request with other whitespace or key order a
        repeat; the operation keeps one key from matching a request to another endpoint.
        """
        return cls.of(org, key, operation.encode(), body.model_dump_json().encode())


@dataclass(frozen=True)
class Answer:
    """A creating request's answer as stored under its key: replayed byte for byte."""

    status_code: int
    body_json: str
    headers: Mapping[str, str] = field(default_factory=dict)
    replayed: bool = False


async def claim(session: AsyncSession, request: IdempotencyRequest | None) -> Answer | None:
    """Claim the key in the session's transaction, before the change it guards.

    Returns the stored answer (to replay, with nothing changed) when the key was answered
    before, else None: the key is now held until the transaction ends. Raises
    `IdempotencyKeyReused` for another body under the key and `IdempotencyKeyInProgress`
    while a request with it is still running.
    """
    if request is None:
        return None
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
        return None
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
    return Answer(row.status_code, row.response_body, dict(row.response_headers), replayed=True)


async def record(
    session: AsyncSession,
    request: IdempotencyRequest | None,
    status_code: int,
    body_json: str,
    headers: Mapping[str, str],
) -> None:
    """Store the response in the claimed row; it commits with the change it reports."""
    if request is None:
        return
    await session.execute(
        update(IDEMPOTENCY)
        .where(IDEMPOTENCY.c.org == request.org, IDEMPOTENCY.c.key == request.key)
        .values(status_code=status_code, response_body=body_json, response_headers=dict(headers))
    )


async def record_answer(
    session: AsyncSession, request: IdempotencyRequest | None, answer: Answer
) -> None:
    """Store `answer` in the claimed row, in the transaction of the change it reports."""
    await record(session, request, answer.status_code, answer.body_json, answer.headers)
