"""The audit trail's storage: records wait unlocked, the sealer chains them under the head's lock.

A transaction that audits something inserts its records into `audit_pending` with its
commit and takes no lock, so audited transactions never wait for each other. `seal` moves
the waiting records into the chain (`audit_log`) in id order: it locks the one head row,
chains a batch, inserts it, deletes it from `audit_pending` and names the new head, all in
the sealer's transaction. The worker seals every `AUDIT_SEAL_INTERVAL_SECONDS`; every
reader of the trail (listing, verification, checkpoint) seals first, so it sees everything
committed before it asked.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from handover_api.adapters.tables import (
    AuditChainHead,
    AuditCheckpoint,
    AuditEntry,
    AuditPending,
    Handover,
)
from handover_api.domain.audit import (
    CHECKPOINT_EVERY,
    AuditFact,
    Checkpoint,
    checkpoint_claims,
    checkpoints_due,
    extend,
)

HEAD_ID = 1
SEAL_BATCH = 1000


class AuditSigner(Protocol):
    """Signs and verifies checkpoint claims (the manifest key, `adapters/signing.py`)."""

    def sign_claims(self, claims: dict[str, Any]) -> str: ...

    def verify(self, token: str) -> dict[str, Any] | None: ...


def fact_of(entry: AuditEntry | AuditPending) -> AuditFact:
    """The content a record's hash covers, chained or still waiting."""
    return AuditFact(
        case_id=entry.case_id,
        actor_org=entry.actor_org,
        actor_subject=entry.actor_subject,
        action=entry.action,
        purpose=entry.purpose,
        request_id=entry.request_id,
        at=entry.at,
        details=entry.details,
    )


class AuditRepository:
    """The audit trail: records staged during the transaction, written unchained at commit."""

    def __init__(
        self,
        session: AsyncSession,
        signer: AuditSigner | None = None,
        checkpoint_every: int = CHECKPOINT_EVERY,
    ) -> None:
        self._session = session
        self._signer = signer
        self._checkpoint_every = checkpoint_every
        self._pending: list[AuditFact] = []

    def add(self, fact: AuditFact) -> None:
        """Stage a record; `write_pending` inserts it at commit."""
        self._pending.append(fact)

    def discard_pending(self) -> None:
        """Forget staged records (the transaction rolled back)."""
        self._pending.clear()

    async def write_pending(self) -> None:
        """Insert the staged records into `audit_pending` (one statement, no lock)."""
        if not self._pending:
            return
        facts, self._pending = self._pending, []
        await self._session.execute(
            insert(cast(Table, AuditPending.__table__)),
            [
                {
                    "case_id": f.case_id,
                    "actor_org": f.actor_org,
                    "actor_subject": f.actor_subject,
                    "action": f.action,
                    "purpose": f.purpose,
                    "request_id": f.request_id,
                    "at": f.at,
                    "details": dict(f.details),
                }
                for f in facts
            ],
        )

    async def seal(self, limit: int = SEAL_BATCH) -> int:
        """Chain up to `limit` waiting records in id order; the caller commits.

        The head row is read FOR UPDATE, which waits for a sealer in flight and then, under
        READ COMMITTED, returns what it committed; the waiting records are read after that,
        so two sealers never chain the same record. Returns how many were sealed.
        """
        if await self._session.scalar(select(AuditPending.id).limit(1)) is None:
            return 0
        head = cast(Table, AuditChainHead.__table__)
        row = (
            await self._session.execute(
                select(head.c.seq, head.c.hash).where(head.c.id == HEAD_ID).with_for_update()
            )
        ).one()
        waiting = (
            await self._session.scalars(select(AuditPending).order_by(AuditPending.id).limit(limit))
        ).all()
        if not waiting:
            return 0
        chained = extend(int(row.seq), str(row.hash), [fact_of(w) for w in waiting])
        await self._session.execute(
            insert(cast(Table, AuditEntry.__table__)),
            [
                {
                    "case_id": c.fact.case_id,
                    "actor_org": c.fact.actor_org,
                    "actor_subject": c.fact.actor_subject,
                    "action": c.fact.action,
                    "purpose": c.fact.purpose,
                    "request_id": c.fact.request_id,
                    "at": c.fact.at,
                    "details": dict(c.fact.details),
                    "seq": c.seq,
                    "prev_hash": c.prev_hash,
                    "hash": c.hash,
                }
                for c in chained
            ],
        )
        # The trigger on audit_pending lets only a sealing transaction remove records.
        await self._session.execute(text("SET LOCAL handover.audit_sealing = 'on'"))
        await self._session.execute(
            delete(AuditPending).where(AuditPending.id.in_([w.id for w in waiting]))
        )
        await self._session.execute(
            update(head)
            .where(head.c.id == HEAD_ID)
            .values(seq=chained[-1].seq, hash=chained[-1].hash)
        )
        if self._signer is not None:
            by_seq = {c.seq: c.hash for c in chained}
            due = checkpoints_due(chained[0].seq, chained[-1].seq, self._checkpoint_every)
            for seq in due:
                await self._insert_checkpoint(self._signer, seq, by_seq[seq], chained[-1].fact.at)
        return len(chained)

    async def waiting(self) -> int:
        """How many records wait to be sealed."""
        return int(await self._session.scalar(select(func.count()).select_from(AuditPending)) or 0)

    async def _insert_checkpoint(
        self, signer: AuditSigner, seq: int, sha256: str, at: datetime
    ) -> Checkpoint:
        signature = signer.sign_claims(checkpoint_claims(seq, sha256, at))
        await self._session.execute(
            insert(cast(Table, AuditCheckpoint.__table__)).values(
                seq=seq, sha256=sha256, created_at=at, signature=signature
            )
        )
        return Checkpoint(seq, sha256, at, signature)

    async def checkpoint_head(self, signer: AuditSigner, now: datetime) -> Checkpoint | None:
        """A signed checkpoint at the chain's last record (the existing one if there is one)."""
        head = (
            await self._session.execute(
                select(AuditChainHead.seq, AuditChainHead.hash)
                .where(AuditChainHead.id == HEAD_ID)
                .with_for_update()
            )
        ).one()
        if head.seq == 0:
            return None
        existing = await self._session.get(AuditCheckpoint, head.seq)
        if existing is not None:
            return _checkpoint(existing)
        return await self._insert_checkpoint(signer, head.seq, head.hash, now)

    async def head(self) -> tuple[int, str]:
        """The last sequence number and hash the head row names."""
        row = (
            await self._session.execute(
                select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == HEAD_ID)
            )
        ).one()
        return int(row.seq), str(row.hash)

    async def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, by sequence number."""
        rows = await self._session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
        return [_checkpoint(r) for r in rows]

    async def chain_page(self, after_seq: int, limit: int) -> Sequence[AuditEntry]:
        """Records after `after_seq` in sequence order, for the chain check."""
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.seq > after_seq)
            .order_by(AuditEntry.seq)
            .limit(limit)
        )
        return (await self._session.scalars(stmt)).all()

    async def list_for_case(
        self,
        case_id: uuid.UUID,
        *,
        after: int | None,
        limit: int,
        up_to_seq: int | None = None,
        also_of_org: str | None = None,
    ) -> Sequence[AuditEntry]:
        """A page of the case's audit records, oldest first.

        With `up_to_seq`, only records up to it, and those of `also_of_org` after it.
        """
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.case_id == case_id)
            .order_by(AuditEntry.seq)
            .limit(limit)
        )
        if up_to_seq is not None:
            limited = AuditEntry.seq <= up_to_seq
            stmt = stmt.where(
                or_(limited, AuditEntry.actor_org == also_of_org) if also_of_org else limited
            )
        if after is not None:
            stmt = stmt.where(AuditEntry.seq > after)
        return (await self._session.scalars(stmt)).all()

    async def last_seq_of(
        self, case_id: uuid.UUID, action: str, handover_ids: Collection[uuid.UUID]
    ) -> int | None:
        """The sequence number of the case's last `action` record of one of the handovers."""
        if not handover_ids:
            return None
        stmt = select(func.max(AuditEntry.seq)).where(
            AuditEntry.case_id == case_id,
            AuditEntry.action == action,
            AuditEntry.details["handover_id"].as_string().in_([str(h) for h in handover_ids]),
        )
        found = await self._session.scalar(stmt)
        return int(found) if found is not None else None

    async def handovers_of_case(self, case_id: uuid.UUID) -> Sequence[Handover]:
        """Every handover of the case, oldest first (the caller decides who may see what)."""
        stmt = select(Handover).where(Handover.case_id == case_id).order_by(Handover.created_at)
        return (await self._session.scalars(stmt)).all()


def _checkpoint(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(row.seq, row.sha256, row.created_at, row.signature)
