"""Use cases for webhook deliveries: enqueue from events, read, redeliver, and the worker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from notifications_api.adapters.repositories import Position
from notifications_api.adapters.tables import Delivery, DeliveryAttempt
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.deliveries import (
    DeliveryStatus,
    RetryPolicy,
    WebhookRequest,
    WebhookSender,
    after_attempt,
    is_success,
)
from notifications_api.domain.errors import DeliveryInFlight, SubscriptionGone
from notifications_api.domain.routing import recipient_orgs
from shared.auth import Principal
from shared.db.base import utcnow
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.problems import NotFound

log = get_logger(__name__)

Clock = Callable[[], datetime]


async def enqueue_deliveries(
    uow: NotificationsUnitOfWork, event: Envelope[Any], now: datetime | None = None
) -> int:
    """Stage one delivery per matching subscription; the caller's transaction commits."""
    subscriptions = await uow.subscriptions.matching(recipient_orgs(event.data), event.topic)
    if not subscriptions:
        return 0
    at = now or utcnow()
    body = event.model_dump_json()
    for subscription in subscriptions:
        uow.deliveries.add(
            Delivery(
                id=uuid.uuid4(),
                subscription_id=subscription.id,
                org=subscription.org,
                event_id=event.id,
                event_type=event.type,
                topic=event.topic,
                subject=event.subject,
                payload=body,
                status=DeliveryStatus.PENDING.value,
                attempt_count=0,
                attempts_in_round=0,
                next_attempt_at=at,
                created_at=at,
                updated_at=at,
            )
        )
    return len(subscriptions)


async def get_delivery(
    uow: NotificationsUnitOfWork, actor: Principal, delivery_id: uuid.UUID
) -> tuple[Delivery, Sequence[DeliveryAttempt]]:
    """A delivery of the caller's organisation with its attempts."""
    async with uow:
        delivery = await uow.deliveries.get(actor.org, delivery_id)
        if delivery is None:
            raise NotFound("delivery not found")
        return delivery, await uow.deliveries.attempts(delivery.id)


async def list_deliveries(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    *,
    status: str | None,
    event_type: str | None,
    subscription_id: uuid.UUID | None,
    after: Position | None,
    limit: int,
) -> Sequence[Delivery]:
    """One page (plus one look-ahead row) of the organisation's deliveries."""
    async with uow:
        return await uow.deliveries.page(
            actor.org,
            status=status,
            event_type=event_type,
            subscription_id=subscription_id,
            after=after,
            limit=limit,
        )


async def redeliver(
    uow: NotificationsUnitOfWork, actor: Principal, delivery_id: uuid.UUID
) -> Delivery:
    """Queue the delivery again now, with a fresh round of attempts and the same webhook-id."""
    now = utcnow()
    async with uow:
        delivery = await uow.deliveries.get(actor.org, delivery_id)
        if delivery is None:
            raise NotFound("delivery not found")
        subscription = await uow.subscriptions.get(actor.org, delivery.subscription_id)
        if subscription is None:
            raise SubscriptionGone("the delivery's subscription was deleted")
        requeued = await uow.deliveries.requeue(delivery.id, now)
        if not requeued:
            raise DeliveryInFlight("an attempt is running; try again when it has finished")
        await uow.commit()
        await uow.session.refresh(delivery)
        return delivery


class DeliveryWorker:
    """Sends due deliveries; a row is sent only by the worker that claimed it.

    Claims are conditional UPDATEs on `locked_until`, so replicas can run side by side.
    No transaction is open while a request is in flight.
    """

    def __init__(
        self,
        *,
        uow_factory: Callable[[], NotificationsUnitOfWork],
        sender: WebhookSender,
        policy: RetryPolicy,
        claim_seconds: float,
        batch_size: int,
        interval_seconds: float,
        clock: Clock = utcnow,
        holder: str | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._sender = sender
        self._policy = policy
        self._claim = timedelta(seconds=claim_seconds)
        self._batch_size = batch_size
        self._interval = interval_seconds
        self._clock = clock
        self.holder = holder or f"worker-{uuid.uuid4().hex[:12]}"
        self.wakeup = asyncio.Event()

    async def run(self) -> None:
        """Loop until cancelled: send what is due, then wait for the interval or a wake-up."""
        while True:
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("webhook.worker.error")
                handled = 0
            if handled >= self._batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout=self._interval)
            self.wakeup.clear()

    async def run_once(self) -> int:
        """Claim one batch of due deliveries and attempt each once; returns how many."""
        claimed = await self._claim_due()
        if claimed:
            await asyncio.gather(*(self._attempt(delivery_id) for delivery_id in claimed))
        return len(claimed)

    async def _claim_due(self) -> list[uuid.UUID]:
        now = self._clock()
        async with self._uow_factory() as uow:
            candidates = await uow.deliveries.due_ids(now, self._batch_size)
            claimed = [
                delivery_id
                for delivery_id in candidates
                if await uow.deliveries.claim(delivery_id, now, self.holder, now + self._claim)
            ]
            await uow.commit()
        return claimed

    async def _attempt(self, delivery_id: uuid.UUID) -> None:
        async with self._uow_factory() as uow:
            delivery = await uow.deliveries.get_any(delivery_id)
            subscription = (
                await uow.subscriptions.get_any(delivery.subscription_id)
                if delivery is not None
                else None
            )
        if delivery is None or subscription is None:
            return
        if subscription.deleted_at is not None:
            await self._finish(
                delivery,
                {
                    "status": DeliveryStatus.FAILED.value,
                    "last_error": "subscription_deleted",
                    "next_attempt_at": None,
                    "completed_at": self._clock(),
                    "updated_at": self._clock(),
                },
                attempt=None,
            )
            return
        started = self._clock()
        result = await self._sender.send(
            WebhookRequest(
                url=subscription.url,
                message_id=str(delivery.id),
                body=delivery.payload.encode(),
                secret=subscription.secret,
            )
        )
        now = self._clock()
        round_attempts = delivery.attempts_in_round + 1
        succeeded = is_success(result.status_code)
        outcome = after_attempt(self._policy, round_attempts, succeeded, now)
        done = outcome.status is not DeliveryStatus.PENDING
        attempt = DeliveryAttempt(
            delivery_id=delivery.id,
            attempt_number=delivery.attempt_count + 1,
            attempted_at=started,
            status_code=result.status_code,
            error=result.error,
            duration_ms=round(result.duration_ms, 1),
        )
        await self._finish(
            delivery,
            {
                "status": outcome.status.value,
                "attempt_count": delivery.attempt_count + 1,
                "attempts_in_round": round_attempts,
                "next_attempt_at": outcome.next_attempt_at,
                "last_status_code": result.status_code,
                "last_error": result.error,
                "completed_at": now if done else None,
                "updated_at": now,
            },
            attempt=attempt,
        )
        log.info(
            "webhook.delivery.attempted",
            delivery_id=str(delivery.id),
            subscription_id=str(delivery.subscription_id),
            event_type=delivery.event_type,
            attempt=attempt.attempt_number,
            status_code=result.status_code,
            error=result.error,
            outcome=outcome.status.value,
        )

    async def _finish(
        self, delivery: Delivery, values: dict[str, Any], attempt: DeliveryAttempt | None
    ) -> None:
        async with self._uow_factory() as uow:
            if attempt is not None:
                uow.deliveries.add_attempt(attempt)
            if not await uow.deliveries.finish_attempt(delivery.id, self.holder, values):
                # The claim expired and another worker took the row: keep the attempt
                # on record but leave the delivery's state to the new holder.
                log.warning("webhook.delivery.claim_lost", delivery_id=str(delivery.id))
            await uow.commit()
