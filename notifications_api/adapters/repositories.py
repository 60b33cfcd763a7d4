"""Repositories: every query of notifications_api, scoped by organisation where it is read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from notifications_api.adapters.tables import (
    Consultation,
    Delivery,
    DeliveryAttempt,
    InfoSession,
    InfoSessionSeries,
    Invitation,
    Subscription,
)
from notifications_api.domain.consultations import Attendance, ConsultationStatus
from notifications_api.domain.deliveries import (
    SUBSCRIPTION_DISABLED,
    DeliveryStatus,
    SubscriptionStatus,
)
from notifications_api.domain.invitations import InvitationStatus

Position = tuple[datetime, uuid.UUID]


def _before(
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    after: Position | None,
) -> ColumnElement[bool] | None:
    """Keyset condition for newest-first lists."""
    if after is None:
        return None
    at, last_id = after
    return or_(created_at < at, and_(created_at == at, row_id < last_id))


def _rowcount(result: Any) -> int:
    # DML statements return a CursorResult; the session API types them as Result.
    return cast(CursorResult[Any], result).rowcount


class SubscriptionRepository:
    """Webhook subscriptions; deleted ones stay for the delivery history."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _readable(self, org: str) -> Select[Subscription]:
        return select(Subscription).where(
            Subscription.org == org, Subscription.deleted_at.is_(None)
        )

    def add(self, subscription: Subscription) -> None:
        """Stage a new subscription."""
        self._session.add(subscription)

    async def get(
        self, org: str, subscription_id: uuid.UUID, *, for_update: bool = False
    ) -> Subscription | None:
        """A subscription of `org` that is not deleted (row-locked with `for_update`)."""
        stmt = self._readable(org).where(Subscription.id == subscription_id)
        if for_update:
            stmt = stmt.with_for_update(key_share=True)
        return (await self._session.scalars(stmt)).one_or_none()

    async def get_any(self, subscription_id: uuid.UUID) -> Subscription | None:
        """A subscription by id, deleted or not (for the delivery worker)."""
        return await self._session.get(Subscription, subscription_id)

    async def lock_any(self, subscription_id: uuid.UUID, *, exclusive: bool) -> Subscription | None:
        """A subscription by id, row-locked until commit (FOR SHARE, or exclusive to change it).

        Finishing an attempt takes the shared lock and disabling the exclusive one, so a
        disable and a concurrent finish of another delivery of it are serialised.
        """
        stmt = select(Subscription).where(Subscription.id == subscription_id)
        stmt = (
            stmt.with_for_update(key_share=True) if exclusive else stmt.with_for_update(read=True)
        )
        result = await self._session.scalars(stmt.execution_options(populate_existing=True))
        return result.one_or_none()

    async def page(
        self, org: str, after: Position | None, limit: int, *, status: str | None = None
    ) -> Sequence[Subscription]:
        """Newest first; `limit + 1` rows so the caller can tell whether more follow."""
        stmt = self._readable(org)
        if status is not None:
            stmt = stmt.where(Subscription.status == status)
        condition = _before(Subscription.created_at, Subscription.id, after)
        if condition is not None:
            stmt = stmt.where(condition)
        stmt = stmt.order_by(Subscription.created_at.desc(), Subscription.id.desc())
        return (await self._session.scalars(stmt.limit(limit + 1))).all()

    async def matching(self, orgs: Iterable[str], topic: str) -> list[Subscription]:
        """Active subscriptions of `orgs` that asked for `topic`, share-locked until commit.

        The lock makes a concurrent disable wait for this transaction (and then end the
        deliveries it staged), or this one see the subscription disabled and skip it.
        """
        wanted = list(orgs)
        if not wanted:
            return []
        rows = await self._session.scalars(
            select(Subscription)
            .where(
                Subscription.org.in_(wanted),
                Subscription.deleted_at.is_(None),
                Subscription.status == SubscriptionStatus.ACTIVE.value,
                type_coerce(Subscription.event_types, JSONB).contains([topic]),
            )
            .order_by(Subscription.created_at, Subscription.id)
            .with_for_update(read=True)
        )
        return list(rows)

    async def disable(self, subscription_id: uuid.UUID, reason: str, now: datetime) -> bool:
        """Disable an active subscription; False when it was not active."""
        result = await self._session.execute(
            update(Subscription)
            .where(
                Subscription.id == subscription_id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
            .values(
                status=SubscriptionStatus.DISABLED.value, disabled_at=now, disabled_reason=reason
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1


class DeliveryRepository:
    """Deliveries and their attempts; a worker claims due rows with FOR UPDATE SKIP LOCKED."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Whether this transaction made a delivery due now (the worker is woken on commit).
        self.made_due = False

    def add(self, delivery: Delivery) -> None:
        """Stage a new delivery."""
        self._session.add(delivery)
        self.made_due = True

    def add_attempt(self, attempt: DeliveryAttempt) -> None:
        """Stage the record of one attempt."""
        self._session.add(attempt)

    async def get(self, org: str, delivery_id: uuid.UUID) -> Delivery | None:
        """A delivery of `org`."""
        result = await self._session.scalars(
            select(Delivery).where(Delivery.org == org, Delivery.id == delivery_id)
        )
        return result.one_or_none()

    async def get_any(self, delivery_id: uuid.UUID) -> Delivery | None:
        """A delivery by id (for the worker)."""
        return await self._session.get(Delivery, delivery_id)

    async def page(
        self,
        org: str,
        *,
        status: str | None,
        event_type: str | None,
        subscription_id: uuid.UUID | None,
        after: Position | None,
        limit: int,
    ) -> Sequence[Delivery]:
        """Newest first with optional filters; `limit + 1` rows."""
        stmt = select(Delivery).where(Delivery.org == org)
        if status is not None:
            stmt = stmt.where(Delivery.status == status)
        if event_type is not None:
            stmt = stmt.where(or_(Delivery.topic == event_type, Delivery.event_type == event_type))
        if subscription_id is not None:
            stmt = stmt.where(Delivery.subscription_id == subscription_id)
        condition = _before(Delivery.created_at, Delivery.id, after)
        if condition is not None:
            stmt = stmt.where(condition)
        stmt = stmt.order_by(Delivery.created_at.desc(), Delivery.id.desc())
        return (await self._session.scalars(stmt.limit(limit + 1))).all()

    async def attempts(self, delivery_id: uuid.UUID) -> Sequence[DeliveryAttempt]:
        """The attempts of a delivery, oldest first."""
        result = await self._session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.attempt_number, DeliveryAttempt.id)
        )
        return result.all()

    @staticmethod
    def _unclaimed(now: datetime) -> ColumnElement[bool]:
        return or_(Delivery.locked_until.is_(None), Delivery.locked_until < now)

    async def claim_due(
        self, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[uuid.UUID]:
        """Lease up to `limit` due deliveries to `holder`, earliest due first.

        Rows another transaction is claiming right now are skipped, not waited for; the
        lease (`locked_until`) then keeps them away from other workers while the request
        is in flight, and lets them be claimed again if this worker dies.
        """
        due = (
            select(Delivery.id)
            .where(
                Delivery.status == DeliveryStatus.PENDING.value,
                Delivery.next_attempt_at <= now,
                self._unclaimed(now),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        result = await self._session.scalars(
            update(Delivery)
            .where(Delivery.id == due.c.id)
            .values(locked_until=until, locked_by=holder)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        return list(result)

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending delivery can be claimed next (its lease ended, if any)."""
        due = func.greatest(
            Delivery.next_attempt_at, func.coalesce(Delivery.locked_until, Delivery.next_attempt_at)
        )
        return cast(
            "datetime | None",
            await self._session.scalar(
                select(func.min(due)).where(
                    Delivery.status == DeliveryStatus.PENDING.value,
                    Delivery.next_attempt_at.is_not(None),
                )
            ),
        )

    async def requeue(self, delivery_id: uuid.UUID, now: datetime) -> bool:
        """Make the delivery due now with a fresh round; False while a worker holds it."""
        result = await self._session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, self._unclaimed(now))
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts_in_round=0,
                next_attempt_at=now,
                completed_at=None,
                updated_at=now,
                locked_by=None,
                locked_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        requeued = _rowcount(result) == 1
        self.made_due = self.made_due or requeued
        return requeued

    async def requeue_ended_by_disable(
        self, subscription_id: uuid.UUID, disabled_at: datetime, now: datetime
    ) -> int:
        """Queue again the deliveries of a subscription that ended with its disabling."""
        result = await self._session.execute(
            update(Delivery)
            .where(
                Delivery.subscription_id == subscription_id,
                Delivery.status == DeliveryStatus.FAILED.value,
                Delivery.completed_at >= disabled_at,
                or_(
                    Delivery.last_error == SUBSCRIPTION_DISABLED,
                    Delivery.last_status_code == 410,
                ),
                self._unclaimed(now),
            )
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts_in_round=0,
                next_attempt_at=now,
                completed_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        requeued = _rowcount(result)
        self.made_due = self.made_due or requeued > 0
        return requeued

    async def end_pending(self, subscription_id: uuid.UUID, reason: str, now: datetime) -> int:
        """Fail the subscription's pending deliveries no worker holds, with `reason`."""
        result = await self._session.execute(
            update(Delivery)
            .where(
                Delivery.subscription_id == subscription_id,
                Delivery.status == DeliveryStatus.PENDING.value,
                self._unclaimed(now),
            )
            .values(
                status=DeliveryStatus.FAILED.value,
                last_error=reason,
                next_attempt_at=None,
                completed_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    async def finish_attempt(
        self, delivery_id: uuid.UUID, holder: str, values: dict[str, Any]
    ) -> bool:
        """Apply an attempt's outcome and release the lock, if `holder` still holds it."""
        result = await self._session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.locked_by == holder)
            .values(**values, locked_until=None, locked_by=None)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1


class InfoSessionRepository:
    """Info sessions; seats are taken with `booked < capacity` conditional updates."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _readable(self, org: str) -> Select[InfoSession]:
        return select(InfoSession).where(
            or_(InfoSession.agentur_org == org, InfoSession.jobcenter_org == org)
        )

    def add(self, info_session: InfoSession) -> None:
        """Stage a new session."""
        self._session.add(info_session)

    async def get(self, org: str, session_id: uuid.UUID) -> InfoSession | None:
        """A session the organisation hosts."""
        result = await self._session.scalars(
            self._readable(org).where(InfoSession.id == session_id)
        )
        return result.one_or_none()

    async def page(
        self,
        org: str,
        *,
        location: str | None,
        starts_from: datetime | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
        series_id: uuid.UUID | None = None,
    ) -> Sequence[InfoSession]:
        """Sessions the organisation hosts in start order; `limit + 1` rows."""
        stmt = self._readable(org)
        if series_id is not None:
            stmt = stmt.where(InfoSession.series_id == series_id)
        if location is not None:
            stmt = stmt.where(InfoSession.location == location)
        if starts_from is not None:
            stmt = stmt.where(InfoSession.starts_at >= starts_from)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(
                    InfoSession.starts_at > at,
                    and_(InfoSession.starts_at == at, InfoSession.id > last_id),
                )
            )
        stmt = stmt.order_by(InfoSession.starts_at, InfoSession.id).limit(limit + 1)
        return (await self._session.scalars(stmt)).all()

    async def candidates(
        self, location: str, org: str, starts_from: datetime, starts_before: datetime
    ) -> Sequence[InfoSession]:
        """Sessions at `location` hosted by `org` with free seats in the window, soonest first."""
        result = await self._session.scalars(
            self._readable(org)
            .where(
                InfoSession.location == location,
                InfoSession.starts_at >= starts_from,
                InfoSession.starts_at < starts_before,
                InfoSession.booked < InfoSession.capacity,
            )
            .order_by(InfoSession.starts_at, InfoSession.id)
        )
        return result.all()

    async def book_seat(self, session_id: uuid.UUID) -> bool:
        """Take one seat; False when the session filled up meanwhile."""
        result = await self._session.execute(
            update(InfoSession)
            .where(InfoSession.id == session_id, InfoSession.booked < InfoSession.capacity)
            .values(booked=InfoSession.booked + 1)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def release_seat(self, session_id: uuid.UUID) -> None:
        """Give one seat back."""
        await self._session.execute(
            update(InfoSession)
            .where(InfoSession.id == session_id, InfoSession.booked > 0)
            .values(booked=InfoSession.booked - 1)
            .execution_options(synchronize_session=False)
        )


class InvitationRepository:
    """Invitations, readable only by the organisation that owns the case."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, invitation: Invitation) -> None:
        """Stage a new invitation."""
        self._session.add(invitation)

    async def current_for_case(self, owner_org: str, case_id: uuid.UUID) -> Sequence[Invitation]:
        """The case's invitations that are not superseded."""
        result = await self._session.scalars(
            select(Invitation).where(
                Invitation.owner_org == owner_org,
                Invitation.case_id == case_id,
                Invitation.status != InvitationStatus.SUPERSEDED.value,
            )
        )
        return result.all()

    @staticmethod
    def _visible(org: str) -> ColumnElement[bool]:
        # The case's owner, and both hosts of the session it is seated in.
        hosted = select(InfoSession.id).where(
            or_(InfoSession.agentur_org == org, InfoSession.jobcenter_org == org)
        )
        return or_(Invitation.owner_org == org, Invitation.session_id.in_(hosted))

    async def get_visible(
        self, org: str, invitation_id: uuid.UUID, *, for_update: bool = False
    ) -> Invitation | None:
        """An invitation the organisation owns or co-hosts (row-locked with `for_update`)."""
        stmt = select(Invitation).where(Invitation.id == invitation_id, self._visible(org))
        if for_update:
            stmt = stmt.with_for_update()
        return (await self._session.scalars(stmt)).one_or_none()

    async def for_session(
        self, session_id: uuid.UUID, *, after: Position | None, limit: int
    ) -> Sequence[Invitation]:
        """The invitations seated in a session, newest first; `limit + 1` rows."""
        stmt = select(Invitation).where(Invitation.session_id == session_id)
        condition = _before(Invitation.created_at, Invitation.id, after)
        if condition is not None:
            stmt = stmt.where(condition)
        stmt = stmt.order_by(Invitation.created_at.desc(), Invitation.id.desc())
        return (await self._session.scalars(stmt.limit(limit + 1))).all()

    async def due_for_consultation_overdue(
        self, due_before: datetime, limit: int
    ) -> Sequence[Invitation]:
        """Attended sessions whose four weeks ended before `due_before`, not yet reported,
        without a held consultation; row-locked, skipping rows another run holds."""
        held = select(Consultation.id).where(
            Consultation.invitation_id == Invitation.id,
            Consultation.status == ConsultationStatus.HELD.value,
        )
        result = await self._session.scalars(
            select(Invitation)
            .where(
                Invitation.attendance == Attendance.ATTENDED.value,
                Invitation.consultation_overdue_at.is_(None),
                Invitation.status == InvitationStatus.SCHEDULED.value,
                Invitation.session_starts_at < due_before,
                ~held.exists(),
            )
            .order_by(Invitation.session_starts_at, Invitation.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return result.all()

    async def page(
        self, org: str, *, case_id: uuid.UUID | None, after: Position | None, limit: int
    ) -> Sequence[Invitation]:
        """Newest first; `limit + 1` rows."""
        stmt = select(Invitation).where(self._visible(org))
        if case_id is not None:
            stmt = stmt.where(Invitation.case_id == case_id)
        condition = _before(Invitation.created_at, Invitation.id, after)
        if condition is not None:
            stmt = stmt.where(condition)
        stmt = stmt.order_by(Invitation.created_at.desc(), Invitation.id.desc())
        return (await self._session.scalars(stmt.limit(limit + 1))).all()

    async def pending_at(self, location: str, orgs: Iterable[str]) -> Sequence[Invitation]:
        """Pending invitations at `location` owned by one of `orgs`, oldest invitation first."""
        result = await self._session.scalars(
            select(Invitation)
            .where(
                Invitation.status == InvitationStatus.PENDING.value,
                Invitation.location == location,
                Invitation.owner_org.in_(list(orgs)),
            )
            .order_by(Invitation.invitation_date, Invitation.created_at, Invitation.id)
        )
        return result.all()


class InfoSessionSeriesRepository:
    """Session series of the two hosts; the scheduler extends their sessions."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, series: InfoSessionSeries) -> None:
        """Stage a new series."""
        self._session.add(series)

    async def get(self, org: str, series_id: uuid.UUID) -> InfoSessionSeries | None:
        """A series the organisation hosts."""
        result = await self._session.scalars(
            select(InfoSessionSeries).where(
                InfoSessionSeries.id == series_id,
                or_(InfoSessionSeries.agentur_org == org, InfoSessionSeries.jobcenter_org == org),
            )
        )
        return result.one_or_none()

    async def open_ended_before(self, day: date) -> Sequence[InfoSessionSeries]:
        """Series whose sessions end before `day` and that still run past them, row-locked."""
        result = await self._session.scalars(
            select(InfoSessionSeries)
            .where(
                InfoSessionSeries.materialised_until < day,
                or_(
                    InfoSessionSeries.valid_until.is_(None),
                    InfoSessionSeries.materialised_until < InfoSessionSeries.valid_until,
                ),
            )
            .order_by(InfoSessionSeries.id)
            .with_for_update(skip_locked=True)
        )
        return result.all()

    async def session_starts(self, series_id: uuid.UUID) -> set[datetime]:
        """Start times of the sessions the series has already materialised."""
        result = await self._session.scalars(
            select(InfoSession.starts_at).where(InfoSession.series_id == series_id)
        )
        return set(result)


class ConsultationRepository:
    """Consultations, readable by both institutions of the session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _visible(org: str) -> ColumnElement[bool]:
        return or_(
            Consultation.owner_org == org,
            Consultation.agentur_org == org,
            Consultation.jobcenter_org == org,
        )

    def add(self, consultation: Consultation) -> None:
        """Stage a new consultation."""
        self._session.add(consultation)

    async def get(
        self, org: str, consultation_id: uuid.UUID, *, for_update: bool = False
    ) -> Consultation | None:
        """A consultation of one of the organisation's institutions."""
        stmt = select(Consultation).where(Consultation.id == consultation_id, self._visible(org))
        if for_update:
            stmt = stmt.with_for_update()
        return (await self._session.scalars(stmt)).one_or_none()

    async def page(
        self, org: str, *, case_id: uuid.UUID | None, after: Position | None, limit: int
    ) -> Sequence[Consultation]:
        """Newest first; `limit + 1` rows."""
        stmt = select(Consultation).where(self._visible(org))
        if case_id is not None:
            stmt = stmt.where(Consultation.case_id == case_id)
        condition = _before(Consultation.created_at, Consultation.id, after)
        if condition is not None:
            stmt = stmt.where(condition)
        stmt = stmt.order_by(Consultation.created_at.desc(), Consultation.id.desc())
        return (await self._session.scalars(stmt.limit(limit + 1))).all()
