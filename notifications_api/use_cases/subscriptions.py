"""Use cases for webhook subscriptions: create (secret shown once), read, list, enable, delete,
rotate the secret."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from notifications_api.adapters.repositories import Position
from notifications_api.adapters.tables import Subscription
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.deliveries import SUBSCRIPTION_DELETED, SubscriptionStatus
from notifications_api.domain.signing import (
    DEFAULT_OLD_SECRET_VALIDITY,
    MAX_OLD_SECRET_VALIDITY,
    generate_secret,
)
from notifications_api.domain.urls import UrlPolicy, check_webhook_url
from shared.auth import Principal
from shared.db.base import utcnow
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.problems import InputOutOfRange, NotFound


@dataclass(frozen=True)
class CreateSubscription:
    """Input of `create_subscription`."""

    url: str
    event_types: tuple[str, ...]
    description: str | None = None


async def create_subscription(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    cmd: CreateSubscription,
    policy: UrlPolicy,
    answer: Callable[[Subscription], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Register an endpoint of the caller's organisation with a fresh signing secret.

    The answer (it carries the secret) is stored under the Idempotency-Key in the same
    transaction, so a repeat gets the first answer back and creates nothing.
    """
    check_webhook_url(cmd.url, policy)
    subscription = Subscription(
        id=uuid.uuid4(),
        org=actor.org,
        url=cmd.url,
        event_types=list(dict.fromkeys(cmd.event_types)),
        description=cmd.description,
        secret=generate_secret(),
        created_at=utcnow(),
        deleted_at=None,
        status=SubscriptionStatus.ACTIVE.value,
    )
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        uow.subscriptions.add(subscription)
        await uow.session.flush()
        created = answer(subscription)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    return created


async def get_subscription(
    uow: NotificationsUnitOfWork, actor: Principal, subscription_id: uuid.UUID
) -> Subscription:
    """An active subscription of the caller's organisation."""
    async with uow:
        subscription = await uow.subscriptions.get(actor.org, subscription_id)
    if subscription is None:
        raise NotFound("subscription not found")
    return subscription


async def list_subscriptions(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    after: Position | None,
    limit: int,
    status: str | None = None,
) -> Sequence[Subscription]:
    """One page (plus one look-ahead row) of the organisation's subscriptions."""
    async with uow:
        return await uow.subscriptions.page(actor.org, after, limit, status=status)


async def enable_subscription(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    subscription_id: uuid.UUID,
    *,
    redeliver_disabled: bool = False,
) -> Subscription:
    """Let a disabled subscription receive again; enabling an active one changes nothing.

    With `redeliver_disabled`, the deliveries that ended when it was disabled (the 410
    answer and those still pending then) are queued again with their webhook-ids.
    """
    now = utcnow()
    async with uow:
        subscription = await uow.subscriptions.get(actor.org, subscription_id, for_update=True)
        if subscription is None:
            raise NotFound("subscription not found")
        disabled_at = subscription.disabled_at
        if subscription.status != SubscriptionStatus.ACTIVE.value:
            subscription.status = SubscriptionStatus.ACTIVE.value
            subscription.disabled_at = None
            subscription.disabled_reason = None
            if redeliver_disabled and disabled_at is not None:
                await uow.deliveries.requeue_ended_by_disable(subscription.id, disabled_at, now)
            await uow.commit()
    return subscription


async def delete_subscription(
    uow: NotificationsUnitOfWork, actor: Principal, subscription_id: uuid.UUID
) -> None:
    """Stop deliveries to the endpoint; pending ones end failed, the history stays readable."""
    now = utcnow()
    async with uow:
        subscription = await uow.subscriptions.get(actor.org, subscription_id, for_update=True)
        if subscription is None:
            raise NotFound("subscription not found")
        subscription.deleted_at = now
        # Those a worker holds right now end when it finishes (it sees the deletion).
        await uow.deliveries.end_pending(subscription.id, SUBSCRIPTION_DELETED, now)
        await uow.commit()


async def rotate_secret(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    subscription_id: uuid.UUID,
    answer: Callable[[Subscription], Answer],
    *,
    old_secret_expires_at: datetime | None = None,
    idempotency: IdempotencyRequest | None = None,
    now: datetime | None = None,
) -> Answer:
    """Give the subscription a new secret; the current one keeps signing until it expires.

    The old secret stays valid until `old_secret_expires_at` (24 h from now by default, at
    most 7 days; `now` ends it at once). A rotation during a running overlap drops the
    older secret: only the two latest ever sign. The answer (it carries the new secret) is
    stored under the Idempotency-Key, so a repeat returns the same secret.
    """
    at = now or utcnow()
    expires_at = old_secret_expires_at or at + DEFAULT_OLD_SECRET_VALIDITY
    if not at <= expires_at <= at + MAX_OLD_SECRET_VALIDITY:
        raise InputOutOfRange("old_secret_expires_at must lie between now and 7 days from now")
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        subscription = await uow.subscriptions.get(actor.org, subscription_id, for_update=True)
        if subscription is None:
            raise NotFound("subscription not found")
        subscription.old_secret = subscription.secret
        subscription.old_secret_expires_at = expires_at
        subscription.secret = generate_secret()
        await uow.session.flush()
        rotated = answer(subscription)
        await record_answer(uow.session, idempotency, rotated)
        await uow.commit()
    return rotated
