"""Recording reads and changes of a case in its tamper-evident audit trail, and checking it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from handover_api.adapters.audit_trail import SEAL_BATCH, AuditSigner, fact_of
from handover_api.adapters.tables import AuditEntry, Handover
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.domain.audit import (
    AuditFact,
    Break,
    BrokenLink,
    ChainWalk,
    Checkpoint,
    check_checkpoint,
    purpose_of,
)
from shared.auth import Principal
from shared.db.base import utcnow
from shared.problems import NotFound

SYSTEM = Principal(subject="system:handover_api", org="handover-broker", scopes=frozenset())
PAGE = 1000


def _request_id() -> str | None:
    """The request's X-Request-ID, bound by the middleware (None outside a request)."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value is not None else None


def record(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    action: str,
    **details: Any,
) -> None:
    """Stage an audit record; it joins the chain and commits with what it describes.

    Its purpose or legal basis: the one the details name (a release), else the action's.
    """
    plain = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in details.items()}
    uow.audit.add(
        AuditFact(
            case_id=case_id,
            actor_org=actor.org,
            actor_subject=actor.subject,
            action=action,
            purpose=purpose_of(action, plain),
            request_id=_request_id(),
            at=utcnow(),
            details=plain,
        )
    )


async def record_read(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_ids: Iterable[uuid.UUID],
    action: str,
    **details: Any,
) -> None:
    """Record a read of each case and commit (a read stages nothing else)."""
    staged = False
    for case_id in dict.fromkeys(case_ids):
        record(uow, actor, case_id, action, **details)
        staged = True
    if staged:
        await uow.commit()


async def seal(uow: HandoverUnitOfWork) -> int:
    """Chain every record waiting now, in batches, each committed; how many were sealed.

    Readers of the trail call it first, so they see every record committed before them.
    """
    sealed = 0
    while True:
        count = await uow.audit.seal(SEAL_BATCH)
        await uow.commit()
        sealed += count
        if count < SEAL_BATCH:
            return sealed


@dataclass(frozen=True)
class CaseAccess:
    """How the caller may see a case's records: as its owner or as a past source."""

    owner: bool
    disclosed: tuple[Handover, ...]


async def case_access(uow: HandoverUnitOfWork, actor: Principal, case_id: uuid.UUID) -> CaseAccess:
    """The owner sees everything; a source that transferred the case sees what it disclosed.

    Anyone else gets 404, as for the case itself.
    """
    owner = await uow.cases.get(case_id, actor.org) is not None
    handovers = await uow.audit.handovers_of_case(case_id)
    disclosed = tuple(
        h for h in handovers if h.from_org == actor.org and h.transferred_at is not None
    )
    if not owner and not disclosed:
        raise NotFound("case not found")
    return CaseAccess(owner, disclosed)


async def list_case_audit(
    uow: HandoverUnitOfWork, actor: Principal, case_id: uuid.UUID, after: int | None, limit: int
) -> Sequence[AuditEntry]:
    """Up to `limit` records of the case's trail after sequence `after`, oldest first.

    The owner reads all of them. A source that transferred the case reads the records up to
    and including its last transfer, and its own reads after it. The read is recorded.
    """
    async with uow:
        access = await case_access(uow, actor, case_id)
        record(uow, actor, case_id, "audit.listed")
        await uow.commit()
        await seal(uow)
        up_to: int | None = None
        if not access.owner:
            ids = [h.id for h in access.disclosed]
            up_to = await uow.audit.last_seq_of(case_id, "handover.transferred", ids) or 0
        return await uow.audit.list_for_case(
            case_id, after=after, limit=limit, up_to_seq=up_to, also_of_org=actor.org
        )


@dataclass(frozen=True)
class Verification:
    """Aggregate facts of one walk over the chain; never a record's content."""

    verified: bool
    from_seq: int
    last_seq: int
    records_checked: int
    checkpoints_checked: int
    latest_checkpoint_seq: int | None
    first_broken: BrokenLink | None


async def verify_chain(
    uow: HandoverUnitOfWork, signer: AuditSigner, *, from_checkpoint: bool = False
) -> Verification:
    """Walk the chain from the first record (or the latest valid checkpoint) to the head."""
    verify: Callable[[str], Mapping[str, Any] | None] = signer.verify
    async with uow:
        await seal(uow)
        checkpoints = await uow.audit.checkpoints()
        valid = {cp.seq: check_checkpoint(cp, verify) for cp in checkpoints}
        walk = ChainWalk()
        start: Checkpoint | None = None
        if from_checkpoint:
            start = next((cp for cp in reversed(checkpoints) if valid[cp.seq]), None)
            if start is not None:
                walk = ChainWalk(last_seq=start.seq, last_hash=start.sha256)
        by_seq = {cp.seq: cp for cp in checkpoints if start is None or cp.seq > start.seq}
        head_seq, _ = await uow.audit.head()
        checked_checkpoints = 1 if start is not None else 0
        while walk.broken is None:
            rows = await uow.audit.chain_page(walk.last_seq, PAGE)
            for row in rows:
                if not walk.check(row.seq, fact_of(row), row.prev_hash, row.hash):
                    break
                checkpoint = by_seq.get(row.seq)
                if checkpoint is not None:
                    checked_checkpoints += 1
                    if not valid[row.seq]:
                        walk.broken = BrokenLink(row.seq, Break.CHECKPOINT_SIGNATURE_INVALID)
                    elif checkpoint.sha256 != row.hash:
                        walk.broken = BrokenLink(row.seq, Break.CHECKPOINT_MISMATCH)
                    if walk.broken is not None:
                        break
            if len(rows) < PAGE:
                break
        walk.finish(max([head_seq, *by_seq]))
    return Verification(
        verified=walk.broken is None,
        from_seq=(start.seq if start is not None else 0) + 1,
        last_seq=walk.last_seq,
        records_checked=walk.records_checked,
        checkpoints_checked=checked_checkpoints,
        latest_checkpoint_seq=checkpoints[-1].seq if checkpoints else None,
        first_broken=walk.broken,
    )


async def create_checkpoint(
    uow: HandoverUnitOfWork, signer: AuditSigner, now: datetime | None = None
) -> Checkpoint | None:
    """A signed checkpoint at the chain's last record, now (None while the chain is empty)."""
    async with uow:
        await seal(uow)
        checkpoint = await uow.audit.checkpoint_head(signer, now or utcnow())
        await uow.commit()
    return checkpoint


__all__ = ["SYSTEM", "Verification", "create_checkpoint", "record", "seal", "verify_chain"]
