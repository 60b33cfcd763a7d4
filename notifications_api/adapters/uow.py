"""The unit of work of notifications_api: shared transaction handling plus its repositories."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from notifications_api.adapters.repositories import (
    DeliveryRepository,
    InfoSessionRepository,
    InvitationRepository,
    SubscriptionRepository,
)
from shared.db.uow import UnitOfWork


class NotificationsUnitOfWork(UnitOfWork):
    """One session and transaction; repositories are rebuilt on every `async with`."""

    subscriptions: SubscriptionRepository
    deliveries: DeliveryRepository
    info_sessions: InfoSessionRepository
    invitations: InvitationRepository

    def _start(self) -> None:
        session = self.session
        self.subscriptions = SubscriptionRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.info_sessions = InfoSessionRepository(session)
        self.invitations = InvitationRepository(session)


def is_transient(exc: BaseException) -> bool:
    """Whether a database error may pass by itself (server down, connection lost, deadlock).

    Such errors are retried where they happen; they never count as a failed delivery.
    """
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, OperationalError | InterfaceError | PoolTimeout | ConnectionError | TimeoutError
    )
