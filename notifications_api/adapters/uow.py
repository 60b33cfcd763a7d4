"""The unit of work of notifications_api: shared transaction handling plus its repositories."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifications_api.adapters.notice_repository import NoticeRepository
from notifications_api.adapters.repositories import (
    ConsultationRepository,
    DeliveryRepository,
    InfoSessionRepository,
    InfoSessionSeriesRepository,
    InvitationRepository,
    SubscriptionRepository,
)
from shared.db.notify import notify
from shared.db.uow import UnitOfWork

# NOTIFYed by a transaction that makes a delivery due now; the workers LISTEN on it.
DELIVERIES_CHANNEL = "deliveries_due"


class NotificationsUnitOfWork(UnitOfWork):
    """One session and transaction; repositories are rebuilt on every `async with`."""

    subscriptions: SubscriptionRepository
    deliveries: DeliveryRepository
    info_sessions: InfoSessionRepository
    invitations: InvitationRepository
    series: InfoSessionSeriesRepository
    consultations: ConsultationRepository
    notices: NoticeRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        outbox_signal: asyncio.Event | None = None,
        *,
        deliveries_due: asyncio.Event | None = None,
    ) -> None:
        super().__init__(session_factory, outbox_signal)
        self._deliveries_due = deliveries_due

    async def commit(self) -> None:
        """Commit; wake the delivery workers if a delivery became due (else they poll).

        This process's worker is woken by the event, those of other processes by the
        NOTIFY, which PostgreSQL delivers with the commit.
        """
        made_due = self.deliveries.made_due
        if made_due:
            await notify(self.session, DELIVERIES_CHANNEL)
        await super().commit()
        self.deliveries.made_due = False
        if made_due and self._deliveries_due is not None:
            self._deliveries_due.set()

    def _start(self) -> None:
        session = self.session
        self.subscriptions = SubscriptionRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.info_sessions = InfoSessionRepository(session)
        self.invitations = InvitationRepository(session)
        self.series = InfoSessionSeriesRepository(session)
        self.consultations = ConsultationRepository(session)
        self.notices = NoticeRepository(session)


def is_transient(exc: BaseException) -> bool:
    """Whether a database error may pass by itself (server down, connection lost, deadlock).

    Such errors are retried where they happen; they never count as a failed delivery.
    """
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, OperationalError | InterfaceError | PoolTimeout | ConnectionError | TimeoutError
    )
