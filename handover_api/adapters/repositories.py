"""Repositories of handover_api: every query lives here, and every read is org-scoped."""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Engine, Select, and_, func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from handover_api.adapters.tables import Case, CaseConference, Document, Handover, Organisation
from handover_api.domain.case import HANDOVER_STATUSES, CaseStatus
from handover_api.domain.documents import DossierTypes
from handover_api.domain.documents import releasable as releasable_document
from handover_api.domain.lifecycle import HandoverStatus

S = HandoverStatus
# The receiver sees a handover only once the dossier was released to it.
RELEASED = (S.TRANSFERRED, S.ACCEPTED, S.COMPLETED, S.REJECTED)
ALL_DERIVED_STATUSES = sorted({s for group in HANDOVER_STATUSES.values() for s in group})


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
    municipalities: tuple[str, ...] = ()


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
                r.id: KnownOrganisation(
                    r.id, r.name, r.type, r.legal_domain, tuple(r.municipalities)
                )
                for r in rows
            }
            self._loaded_at = time.monotonic()
        return self._by_id.get(org_id)

    async def all(self, session: AsyncSession) -> tuple[KnownOrganisation, ...]:
        """Every organisation, by id (from the copy, read again once it expired)."""
        await self.get(session, "")
        return tuple(self._by_id[k] for k in sorted(self._by_id))

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

    async def known(self) -> tuple[KnownOrganisation, ...]:
        """All organisations with the municipalities they serve, from the process's copy."""
        return await organisation_directory(self._session).all(self._session)

    async def list(self) -> Sequence[Organisation]:
        """All organisations, by id."""
        return (await self._session.scalars(select(Organisation).order_by(Organisation.id))).all()


class CaseRepository:
    """Cases; an organisation reads only the cases it is responsible for."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _readable(self, org: str) -> Select[Case]:
        # The owner, and the partner of a U25 joint case, work the case (domain/joint.py).
        return select(Case).where(or_(Case.owner_org == org, Case.joint_partner_org == org))

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

    async def add_unique(self, case: Case) -> uuid.UUID | None:
        """Insert the case now; if its creator already has one with its Kundennummer, that id.

        The unique index decides (`ON CONFLICT DO NOTHING`), so concurrent creations cannot
        both pass: the second waits for the first to commit and then inserts nothing, and
        the transaction stays usable. The inserted case joins the session as persistent.
        """
        if case.kundennummer is None:
            self._session.add(case)
            return None
        columns = {c.key for c in sa_inspect(Case).column_attrs}
        values = {k: v for k, v in sa_inspect(case).dict.items() if k in columns}
        stmt = (
            pg_insert(Case)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["created_by_org", "kundennummer"])
            .returning(Case.id)
        )
        if await self._session.scalar(stmt) is None:
            existing = await self._session.scalar(
                select(Case.id).where(
                    Case.created_by_org == case.created_by_org,
                    Case.kundennummer == case.kundennummer,
                )
            )
            if existing is None:  # pragma: no cover - the conflict just named the row
                raise RuntimeError("a conflicting case vanished")
            return existing
        make_transient_to_detached(case)
        self._session.add(case)
        return None

    async def find(
        self,
        org: str,
        *,
        kundennummer: str | None,
        status: CaseStatus | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Sequence[tuple[Case, str | None]]:
        """A page of the org's cases by id, each with the status of its active handover."""
        stmt = (
            self._readable(org)
            .add_columns(Handover.status)
            .outerjoin(Handover, Handover.active_case_id == Case.id)
            .order_by(Case.id)
            .limit(limit)
        )
        if kundennummer is not None:
            stmt = stmt.where(Case.kundennummer == kundennummer)
        if status is CaseStatus.ACTIVE:
            stmt = stmt.where(
                or_(Handover.id.is_(None), Handover.status.not_in(ALL_DERIVED_STATUSES))
            )
        elif status is not None:
            stmt = stmt.where(Handover.status.in_(HANDOVER_STATUSES[status]))
        if after is not None:
            stmt = stmt.where(Case.id > after)
        rows = await self._session.execute(stmt)
        return [(case, handover_status) for case, handover_status in rows]

    async def lock_for_handover(self, case_id: uuid.UUID, org: str) -> tuple[Case, bool] | None:
        """The case locked if `org` is responsible for it, and whether it has an active handover.

        One statement instead of two; the case lock keeps the answer true until commit.
        """
        active = select(Handover.id).where(Handover.active_case_id == Case.id).exists()
        stmt = (
            # Only the owner hands a case over, never the partner of a joint case.
            select(Case)
            .where(Case.owner_org == org)
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


def _released() -> ColumnElement[bool]:
    """A document's release is recorded: a legal basis on upload or a release later.

    An unreleased document's `release` may be SQL NULL or JSON null; only an object counts.
    """
    return or_(Document.legal_basis.is_not(None), func.jsonb_typeof(Document.release) == "object")


def _visible_to(org: str) -> ColumnElement[bool]:
    """Special-category documents without a release are seen only by their uploader."""
    return or_(Document.special_category.is_(False), Document.uploaded_by_org == org, _released())


class DocumentRepository:
    """Document metadata; readable by the organisation responsible for the case."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, document: Document) -> None:
        """Stage a new document."""
        self._session.add(document)

    async def get(self, document_id: uuid.UUID, org: str) -> Document | None:
        """The document if its case belongs to `org` and it is not withheld from `org`."""
        stmt = (
            select(Document)
            .join(Case, Case.id == Document.case_id)
            .where(
                Document.id == document_id,
                or_(Case.owner_org == org, Case.joint_partner_org == org),
                _visible_to(org),
            )
        )
        return (await self._session.scalars(stmt)).one_or_none()

    async def list_for_case(
        self,
        case_id: uuid.UUID,
        *,
        after: uuid.UUID | None = None,
        limit: int | None = None,
        visible_to: str | None = None,
    ) -> Sequence[Document]:
        """Documents of a case (the caller checked access to the case), by id.

        With `visible_to`, without the special-category documents withheld from that org.
        """
        stmt = select(Document).where(Document.case_id == case_id).order_by(Document.id)
        if visible_to is not None:
            stmt = stmt.where(_visible_to(visible_to))
        if after is not None:
            stmt = stmt.where(Document.id > after)
        if limit is not None:
            stmt = stmt.limit(limit)
        return (await self._session.scalars(stmt)).all()

    async def types_by_case(self, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, DossierTypes]:
        """The document types present per case (and those that may leave the source)."""
        present: dict[uuid.UUID, set[str]] = {case_id: set() for case_id in case_ids}
        releasable: dict[uuid.UUID, set[str]] = {case_id: set() for case_id in case_ids}
        if not case_ids:
            return {}
        rows = await self._session.execute(
            select(
                Document.case_id,
                Document.type,
                Document.special_category,
                _released(),
            )
            .where(Document.case_id.in_(list(case_ids)))
            .distinct()
        )
        for case_id, doc_type, special, released in rows:
            present[case_id].add(doc_type)
            if releasable_document(special, bool(released)):
                releasable[case_id].add(doc_type)
        return {
            case_id: DossierTypes(frozenset(present[case_id]), frozenset(releasable[case_id]))
            for case_id in case_ids
        }


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


class ConferenceRepository:
    """Case conferences of joint cases (the caller checked access to the case)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, conference: CaseConference) -> None:
        """Stage a new conference record."""
        self._session.add(conference)

    async def list_for_case(
        self, case_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Sequence[CaseConference]:
        """A page of the case's conferences by id."""
        stmt = (
            select(CaseConference)
            .where(CaseConference.case_id == case_id)
            .order_by(CaseConference.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(CaseConference.id > after)
        return (await self._session.scalars(stmt)).all()
