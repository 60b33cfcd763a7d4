"""Queries of notices and of the audit trail of their documents, scoped by organisation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications_api.adapters.tables import (
    Consultation,
    InfoSession,
    Invitation,
    Notice,
    NoticeRead,
)
from notifications_api.domain.notices import NoticeStatus
from shared.db.notify import notify

# NOTIFYed by a transaction that records a notice; the notice job LISTENs on it.
NOTICES_CHANNEL = "notices_due"


class NoticeRepository:
    """Notices of the organisation that sends them; the job reads across organisations."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_once(self, notice: Notice) -> bool:
        """Insert unless a notice for the same event and kind exists; True if inserted.

        The unique (source_event_id, kind) makes a redelivered or replayed event produce
        no second notice, also when two consumers race.
        """
        values = {c.key: getattr(notice, c.key) for c in Notice.__table__.columns}
        inserted = await self._session.scalar(
            insert(Notice)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_notices_source_event_kind")
            .returning(Notice.id)
        )
        return inserted is not None

    def add(self, notice: Notice) -> None:
        """Stage a notice requested through the API (no source event)."""
        self._session.add(notice)

    async def announce(self) -> None:
        """Wake the notice job of every replica when this transaction commits."""
        await notify(self._session, NOTICES_CHANNEL)

    async def get(self, org: str, notice_id: uuid.UUID) -> Notice | None:
        """A notice the organisation sends."""
        stmt = select(Notice).where(Notice.id == notice_id, Notice.org == org)
        return (await self._session.scalars(stmt)).one_or_none()

    async def get_any(self, notice_id: uuid.UUID, *, for_update: bool = False) -> Notice | None:
        """A notice by id (for the delivery job)."""
        stmt = select(Notice).where(Notice.id == notice_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self._session.scalars(stmt)).one_or_none()

    async def page(
        self,
        org: str,
        *,
        case_id: uuid.UUID | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Notice]:
        """Newest first; `limit + 1` rows."""
        stmt = select(Notice).where(Notice.org == org)
        if case_id is not None:
            stmt = stmt.where(Notice.case_id == case_id)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(Notice.created_at < at, and_(Notice.created_at == at, Notice.id < last_id))
            )
        stmt = stmt.order_by(Notice.created_at.desc(), Notice.id.desc())
        return (await self._session.scalars(stmt.limit(limit + 1))).all()

    async def latest_of_kind(self, org: str, case_id: uuid.UUID, kind: str) -> Notice | None:
        """The newest notice of a kind for a case (its facts serve a repeat on request)."""
        stmt = (
            select(Notice)
            .where(Notice.org == org, Notice.case_id == case_id, Notice.kind == kind)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(1)
        )
        return (await self._session.scalars(stmt)).one_or_none()

    async def due(self, now: datetime, limit: int) -> Sequence[Notice]:
        """Notices waiting to be rendered or sent whose next attempt is due, oldest first."""
        stmt = (
            select(Notice)
            .where(
                Notice.status.in_((NoticeStatus.PENDING.value, NoticeStatus.RENDERED.value)),
                Notice.next_attempt_at.is_not(None),
                Notice.next_attempt_at <= now,
            )
            .order_by(Notice.next_attempt_at, Notice.id)
            .limit(limit)
        )
        return (await self._session.scalars(stmt)).all()

    async def next_due_at(self) -> datetime | None:
        """When the next notice is due, if any."""
        stmt = select(Notice.next_attempt_at).where(
            Notice.status.in_((NoticeStatus.PENDING.value, NoticeStatus.RENDERED.value)),
            Notice.next_attempt_at.is_not(None),
        )
        return await self._session.scalar(stmt.order_by(Notice.next_attempt_at).limit(1))

    def record_read(self, read: NoticeRead) -> None:
        """Stage an audit entry for a read of a notice's document."""
        self._session.add(read)

    async def reads(self, notice_id: uuid.UUID) -> Sequence[NoticeRead]:
        """The audit trail of one notice, oldest first."""
        stmt = select(NoticeRead).where(NoticeRead.notice_id == notice_id)
        return (await self._session.scalars(stmt.order_by(NoticeRead.id))).all()

    async def current_invitation(self, org: str, case_id: uuid.UUID) -> Invitation | None:
        """The newest invitation of a case owned by `org` that has a session."""
        stmt = (
            select(Invitation)
            .where(
                Invitation.owner_org == org,
                Invitation.case_id == case_id,
                Invitation.session_id.is_not(None),
            )
            .order_by(Invitation.created_at.desc())
            .limit(1)
        )
        return (await self._session.scalars(stmt)).one_or_none()

    async def latest_consultation(self, org: str, case_id: uuid.UUID) -> Consultation | None:
        """The newest consultation of a case owned by `org`."""
        stmt = (
            select(Consultation)
            .where(Consultation.owner_org == org, Consultation.case_id == case_id)
            .order_by(Consultation.created_at.desc())
            .limit(1)
        )
        return (await self._session.scalars(stmt)).one_or_none()

    async def info_session(self, session_id: uuid.UUID) -> InfoSession | None:
        """The session an invitation names."""
        return await self._session.get(InfoSession, session_id)
