"""Repositories of handover_api: every query lives here, and every read is org-scoped."""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handover_api.adapters.tables import AuditEntry, Case, Document, Handover, Organisation
from handover_api.domain.lifecycle import HandoverStatus

S = HandoverStatus
# The receiver sees a handover only once the dossier was released to it.
RELEASED = (S.TRANSFERRED, S.ACCEPTED, S.COMPLETED, S.REJECTED)


T = TypeVar("T")


async def _one(session: AsyncSession, stmt: Select[T], for_update: bool) -> T | None:
    """At most one row; a locked read refreshes objects the session already holds."""
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(stmt)).one_or_none()


@dataclass(frozen=True)
class KnownOrganisation:
    """An organisation as the request path needs it, detached from any session."""

    id: str
    name: str
    type: str
    legal_domain: str


class OrganisationDirectory:
    """The organisations of one database, read at most once per `TTL_SECONDS` per process.

    They are seeded by migration and change only with one, so a handover start looks them up
    here instead of reading them twice per request. An id missing from a fresh copy stays
    missing until the copy expires: an unknown `to_org` never forces a re-read.
    """

    TTL_SECONDS = 60.0

    def __init__(self) -> None:
        self._by_id: Mapping[str, KnownOrganisation] = {}
        self._loaded_at: float | None = None

    def _fresh(self) -> bool:
        loaded_at = self._loaded_at
        return loaded_at is not None and time.monotonic() - loaded_at < self.TTL_SECONDS

    async def get(self, session: AsyncSession, org_id: str) -> KnownOrganisation | None:
        """The organisation `org_id`, from the copy or, once it expired, from `session`."""
        if not self._fresh():
            rows = (await session.scalars(select(Organisation))).all()
            self._by_id = {
                r.id: KnownOrganisation(r.id, r.name, r.type, r.legal_domain) for r in rows
            }
            self._loaded_at = time.monotonic()
        return self._by_id.get(org_id)

    def expire(self) -> None:
        """Read the organisations again on the next lookup."""
        self._loaded_at = None


# One directory per engine (per database), so processes or tests that serve several
# databases never see each other's organisations; it goes with its engine.
_directories: weakref.WeakKeyDictionary[Engine, OrganisationDirectory] = weakref.WeakKeyDictionary()


def organisation_directory(session: AsyncSession) -> OrganisationDirectory:
    """The directory of the database `session` is bound to."""
    engine = session.bind.sync_engine if session.bind is not None else None
    if not isinstance(engine, Engine):
        raise TypeError("the session is not bound to an engine")
    directory = _directories.get(engine)
    if directory is None:
        directory = _directories[engine] = OrganisationDirectory()
    return directory


class OrganisationRepository:
    """Organisations known to the broker."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, org_id: str) -> KnownOrganisation | None:
        """One organisation by id, from the process's copy of the static organisations."""
        return await organisation_directory(self._session).get(self._session, org_id)

    async def list(self) -> Sequence[Organisation]:
        """All organisations, by id."""
        return (await self._session.scalars(select(Organisation).order_by(Organisation.id))).all()


class CaseRepository:
    """Cases; an organisation reads only the cases it is responsible for."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _readable(self, org: str) -> Select[Case]:
        return select(Case).where(Case.owner_org == org)

    def add(self, case: Case) -> None:
        """Stage a new case."""
        self._session.add(case)

    async def get(self, case_id: uuid.UUID, org: str, *, for_update: bool = False) -> Case | None:
        """The case if `org` is responsible for it, else None."""
        stmt = self._readable(org).where(Case.id == case_id)
        return await _one(self._session, stmt, for_update)

    async def get_unscoped(self, case_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
        """For event handlers acting on the broker's own behalf."""
        return await _one(self._session, select(Case).where(Case.id == case_id), for_update)

    async def lock_for_handover(self, case_id: uuid.UUID, org: str) -> tuple[Case, bool] | None:
        """The case locked if `org` is responsible for it, and whether it has an active handover.

        One statement instead of two; the case lock keeps the answer true until commit.
        """
        active = select(Handover.id).where(Handover.active_case_id == Case.id).exists()
        stmt = (
            self._readable(org)
            .add_columns(active)
            .where(Case.id == case_id)
            .with_for_update(of=Case)
            .execution_options(populate_existing=True)
        )
        row = (await self._session.execute(stmt)).one_or_none()
        if row is None:
            return None
        case, has_active = row
        return case, bool(has_active)


class DocumentRepository:
    """Document metadata; readable by the organisation responsible for the case."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, document: Document) -> None:
        """Stage a new document."""
        self._session.add(document)

    async def get(self, document_id: uuid.UUID, org: str) -> Document | None:
        """The document if its case belongs to `org`."""
        stmt = (
            select(Document)
            .join(Case, Case.id == Document.case_id)
            .where(Document.id == document_id, Case.owner_org == org)
        )
        return (await self._session.scalars(stmt)).one_or_none()

    async def list_for_case(
        self, case_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int | None = None
    ) -> Sequence[Document]:
        """Documents of a case (the caller checked access to the case), by id."""
        stmt = select(Document).where(Document.case_id == case_id).order_by(Document.id)
        if after is not None:
            stmt = stmt.where(Document.id > after)
        if limit is not None:
            stmt = stmt.limit(limit)
        return (await self._session.scalars(stmt)).all()

    async def types_by_case(self, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
        """The document types present per case, for many cases in one query."""
        found: dict[uuid.UUID, set[str]] = {case_id: set() for case_id in case_ids}
        if not case_ids:
            return found
        rows = await self._session.execute(
            select(Document.case_id, Document.type)
            .where(Document.case_id.in_(list(case_ids)))
            .distinct()
        )
        for case_id, doc_type in rows:
            found[case_id].add(doc_type)
        return found


class HandoverRepository:
    """Handovers; the source sees its outgoing ones, the receiver those released to it."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _readable(self, org: str) -> Select[Handover]:
        return select(Handover).where(
            or_(
                and_(Handover.from_org == org, Handover.status != S.COMPLETED),
                and_(Handover.to_org == org, Handover.status.in_(RELEASED)),
            )
        )

    def add(self, handover: Handover) -> None:
        """Stage a new handover."""
        self._session.add(handover)

    async def get(
        self, handover_id: uuid.UUID, org: str, *, for_update: bool = False
    ) -> Handover | None:
        """The handover if `org` may see it."""
        stmt = self._readable(org).where(Handover.id == handover_id)
        return await _one(self._session, stmt, for_update)

    async def get_unscoped(
        self, handover_id: uuid.UUID, *, for_update: bool = False
    ) -> Handover | None:
        """For event handlers acting on the broker's own behalf."""
        stmt = select(Handover).where(Handover.id == handover_id)
        return await _one(self._session, stmt, for_update)

    async def active_for_case(
        self, case_id: uuid.UUID, *, for_update: bool = False
    ) -> Handover | None:
        """The case's active handover, if any."""
        stmt = select(Handover).where(Handover.active_case_id == case_id)
        return await _one(self._session, stmt, for_update)

    async def list(
        self,
        org: str,
        *,
        direction: str | None,
        status: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Handover]:
        """A page of the org's visible handovers ordered by id."""
        stmt = self._readable(org).order_by(Handover.id).limit(limit)
        if direction == "incoming":
            stmt = stmt.where(Handover.to_org == org)
        elif direction == "outgoing":
            stmt = stmt.where(Handover.from_org == org)
        if status is not None:
            stmt = stmt.where(Handover.status == status)
        if after is not None:
            stmt = stmt.where(Handover.id > after)
        return (await self._session.scalars(stmt)).all()

    async def due_for_overdue(self, now: datetime, limit: int = 100) -> Sequence[Handover]:
        """Transferred handovers past their deadline that were not escalated yet, locked.

        One being accepted right now is skipped (and re-checked on the next run) instead of
        escalated from a stale read.
        """
        stmt = (
            select(Handover)
            .where(
                Handover.status == S.TRANSFERRED,
                Handover.due_at < now,
                Handover.overdue_at.is_(None),
            )
            .order_by(Handover.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return (await self._session.scalars(stmt)).all()


class AuditRepository:
    """The audit trail of a case."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, entry: AuditEntry) -> None:
        """Stage an audit entry (committed with the action it records)."""
        self._session.add(entry)

    async def list_for_case(
        self, case_id: uuid.UUID, *, after: int | None, limit: int
    ) -> Sequence[AuditEntry]:
        """A page of the case's audit entries, oldest first."""
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.case_id == case_id)
            .order_by(AuditEntry.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(AuditEntry.id > after)
        return (await self._session.scalars(stmt)).all()
