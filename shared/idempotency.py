"""Idempotency-Key support: the first response is stored with the change, repeats replay it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.base import utcnow
from shared.db.tables import IDEMPOTENCY
from shared.db.uow import UnitOfWork
from shared.problems import IdempotencyKeyReused

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
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


async def replay(session: AsyncSession, request: IdempotencyRequest | None) -> JSONResponse | None:
    """The stored response for a repeated key, or None; another body under it is refused."""
    if request is None:
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
    if row is None:
        return None
    if row.request_hash != request.request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was used with another request body")
    headers = dict(row.response_headers)
    headers["Idempotent-Replayed"] = "true"
    return JSONResponse(
        content=json.loads(row.response_body), status_code=row.status_code, headers=headers
    )


async def remember(
    session: AsyncSession,
    request: IdempotencyRequest | None,
    status_code: int,
    body_json: str,
    headers: dict[str, str],
) -> None:
    """Store the response in the same transaction as the change it reports."""
    if request is None:
        return
    await session.execute(
        insert(IDEMPOTENCY).values(
            org=request.org,
            key=request.key,
            request_hash=request.request_hash,
            status_code=status_code,
            response_body=body_json,
            response_headers=headers,
            created_at=utcnow(),
        )
    )


async def respond_once(
    uow: UnitOfWork,
    request: IdempotencyRequest | None,
    create: Callable[[], Awaitable[tuple[int, BaseModel, dict[str, str]]]],
) -> JSONResponse:
    """Run a creating use case once per Idempotency-Key and commit it with its response.

    A concurrent request with the same key loses the insert race and replays the winner.
    """
    async with uow:
        replayed = await replay(uow.session, request)
        if replayed is not None:
            return replayed
        status, body, headers = await create()
        body_json = body.model_dump_json()
        await remember(uow.session, request, status, body_json, headers)
        try:
            await uow.commit()
        except IntegrityError:
            if request is None:
                raise
            await uow.rollback()
            replayed = await replay(uow.session, request)
            if replayed is None:
                raise
            return replayed
    return JSONResponse(json.loads(body_json), status_code=status, headers=headers)
