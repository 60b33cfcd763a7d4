"""Use cases for webhook deliveries: enqueue from events, read, redeliver, and the worker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from notifications_api.adapters.metrics import observe_attempt, outcome_label
from notifications_api.adapters.repositories import Position
from notifications_api.adapters.tables import Delivery, DeliveryAttempt, Subscription
from notifications_api.adapters.uow import (
    DELIVERIES_CHANNEL,
    NotificationsUnitOfWork,
    is_transient,
)
from notifications_api.domain.deliveries import (
    RECEIVER_GONE,
    SUBSCRIPTION_DELETED,
    SUBSCRIPTION_DISABLED,
    AttemptOutcome,
    DeliveryStatus,
    RetryPolicy,
    SendResult,
    SubscriptionStatus,
    WebhookRequest,
    WebhookSender,
    is_gone,
    settle_attempt,
)
from notifications_api.domain.errors import (
    DeliveryInFlight,
    SubscriptionDisabled,
    SubscriptionGone,
)
from notifications_api.domain.payloads import webhook_body
from notifications_api.domain.routing import recipient_orgs
from notifications_api.domain.signing import signing_secrets
from shared.auth import Principal
from shared.db.base import utcnow
from shared.db.notify import NotifyListener
from shared.events.envelope import Envelope
from shared.jobs import PeriodicJob
from shared.logging import get_logger
from shared.messaging.faults import backoff_delay
from shared.problems import NotFound
from shared.tracing import continue_trace, current_traceparent

log = get_logger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")

# Upper bound on database tries per step; the lease deadline usually ends them first.
_MAX_DB_TRIES = 200


async def enqueue_deliveries(
    uow: NotificationsUnitOfWork, event: Envelope[Any], now: datetime | None = None
) -> int:
    """Stage one delivery per matching subscription; the caller's transaction commits."""
    subscriptions = await uow.subscriptions.matching(recipient_orgs(event.data), event.topic)
    if not subscriptions:
        return 0
    at = now or utcnow()
    # The receiver learns only what the law allows at this step (domain/payloads.py).
    body = webhook_body(event)
    # The consumer's span: each attempt's client span continues the event's trace.
    traceparent = current_traceparent()
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
                traceparent=traceparent,
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
    """Queue the delivery again now, with a fresh round of attempts and the same webhook-id.

    Works for any delivery not in flight (failed ones included); a disabled subscription
    must be enabled first, a deleted one cannot receive anything.
    """
    now = utcnow()
    async with uow:
        delivery = await uow.deliveries.get(actor.org, delivery_id)
        if delivery is None:
            raise NotFound("delivery not found")
        subscription = await uow.subscriptions.get(
            actor.org, delivery.subscription_id, for_update=True
        )
        if subscription is None:
            raise SubscriptionGone("the delivery's subscription was deleted")
        if subscription.status != SubscriptionStatus.ACTIVE.value:
            raise SubscriptionDisabled(
                "the delivery's subscription is disabled; enable it, then redeliver"
            )
        requeued = await uow.deliveries.requeue(delivery.id, now)
        if not requeued:
            raise DeliveryInFlight("an attempt is running; try again when it has finished")
        await uow.commit()
        await uow.session.refresh(delivery)
        return delivery


@dataclass(frozen=True)
class _Target:
    """What the worker needs to know to attempt one claimed delivery."""

    delivery: Delivery
    url: str
    secret: str
    stopped: str | None


class DeliveryWorker:
    """Sends due deliveries; a row is sent only by the worker that claimed it.

    Claims take due rows with FOR UPDATE SKIP LOCKED and lease them (`locked_until`), so
    replicas run side by side and no transaction is open while a request is in flight.
    Database errors are retried in place with capped backoff: an answer the receiver gave
    is recorded once the database is back, so an accepted webhook is sent again only if
    the process dies (or the outage outlasts two leases) between the send and the commit.

    It wakes when a delivery is stored or queued again: by the wake-up event in this
    process, by its NOTIFY listener for commits of other processes. Between wake-ups it
    sleeps until the earliest pending delivery is due (a retry's `next_attempt_at`, or a
    lease that ends), at most `interval_seconds`, the fallback poll.
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
        wakeup: asyncio.Event | None = None,
        clock: Clock = utcnow,
        holder: str | None = None,
        db_backoff_initial_seconds: float = 0.1,
        db_backoff_max_seconds: float = 5.0,
    ) -> None:
        self._uow_factory = uow_factory
        self._sender = sender
        self._policy = policy
        self._claim = timedelta(seconds=claim_seconds)
        self._batch_size = batch_size
        self._clock = clock
        self._backoff_initial = db_backoff_initial_seconds
        self._backoff_max = db_backoff_max_seconds
        self.holder = holder or f"worker-{uuid.uuid4().hex[:12]}"
        self._next_due_at: datetime | None = None
        wakeup = wakeup or asyncio.Event()
        self.listener = NotifyListener(
            uow_factory().database_url,
            {DELIVERIES_CHANNEL: [wakeup]},
            backoff_max_seconds=db_backoff_max_seconds,
        )
        # No lock: claims with SKIP LOCKED let every replica's worker run side by side.
        self.job = PeriodicJob(
            "webhook-deliveries",
            self.run_once,
            interval_seconds=interval_seconds,
            wakeup=wakeup,
            batch_size=batch_size,
            backoff_initial_seconds=db_backoff_initial_seconds,
            backoff_max_seconds=db_backoff_max_seconds,
            next_due=self.seconds_until_due,
            listener=self.listener,
        )

    def stop(self) -> None:
        """Ask the loop to end after the batch in flight (its answers are recorded)."""
        self.job.stop()

    async def run(self) -> None:
        """Loop until stopped: send what is due, then wait for the interval or a wake-up."""
        await self.job.run()

    def seconds_until_due(self) -> float | None:
        """Seconds until the earliest pending delivery known after the last run is due."""
        if self._next_due_at is None:
            return None
        return (self._next_due_at - self._clock()).total_seconds()

    async def run_once(self) -> int:
        """Claim one batch of due deliveries and attempt each once; returns how many."""
        self._next_due_at = None
        claimed = await self._claim_due()
        if claimed:
            # The lease bounds how long an attempt may wait for the database.
            deadline = asyncio.get_running_loop().time() + self._claim.total_seconds()
            results = await asyncio.gather(
                *(self._attempt(delivery_id, deadline) for delivery_id in claimed),
                return_exceptions=True,
            )
            for delivery_id, result in zip(claimed, results, strict=True):
                if isinstance(result, BaseException):
                    log.warning(
                        "webhook.delivery.left_claimed",
                        delivery_id=str(delivery_id),
                        error=type(result).__name__,
                    )
        if len(claimed) < self._batch_size:
            # Read after the attempts were recorded, so their retries count.
            self._next_due_at = await self._earliest_due()
        return len(claimed)

    async def _earliest_due(self) -> datetime | None:
        async with self._uow_factory() as uow:
            return await uow.deliveries.next_due_at()

    async def _claim_due(self) -> list[uuid.UUID]:
        now = self._clock()
        async with self._uow_factory() as uow:
            claimed = await uow.deliveries.claim_due(
                now, self.holder, now + self._claim, self._batch_size
            )
            await uow.commit()
        return claimed

    async def _with_db_retry(
        self, step: str, work: Callable[[], Awaitable[T]], deadline: float
    ) -> T:
        """Run `work` again after transient database errors, until `deadline` (loop time)."""
        loop = asyncio.get_running_loop()
        for failures in range(1, _MAX_DB_TRIES + 1):
            try:
                return await work()
            except Exception as exc:
                delay = backoff_delay(failures, self._backoff_initial, self._backoff_max)
                if not is_transient(exc) or failures == _MAX_DB_TRIES:
                    raise
                if loop.time() + delay > deadline:
                    raise
                log.warning("webhook.worker.db_retry", step=step, tries=failures)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, delivery_id: uuid.UUID, deadline: float) -> None:
        target = await self._with_db_retry("load", lambda: self._load(delivery_id), deadline)
        if target is None:
            return
        delivery = target.delivery
        if target.stopped is not None:
            # Nothing is sent to a disabled or deleted subscription; the delivery ends here.
            now = self._clock()
            values: dict[str, Any] = {
                "status": DeliveryStatus.FAILED.value,
                "last_error": target.stopped,
                "next_attempt_at": None,
                "completed_at": now,
                "updated_at": now,
            }
            await self._with_db_retry(
                "finish", lambda: self._end_unsent(delivery, values), deadline
            )
            observe_attempt(delivery.org, delivery.event_type, "failed", delivery.payload, now)
            return
        started = self._clock()
        with continue_trace(delivery.traceparent):
            result = await self._sender.send(
                WebhookRequest(
                    url=target.url,
                    message_id=str(delivery.id),
                    body=delivery.payload.encode(),
                    secret=target.secret,
                )
            )
        tries = 0

        async def settle() -> AttemptOutcome:
            nonlocal tries
            tries += 1
            return await self._settle(delivery, started, result, retry=tries > 1)

        # After a send the receiver's answer must reach the database: wait for it longer.
        outcome = await self._with_db_retry(
            "finish", settle, deadline + self._claim.total_seconds()
        )
        observe_attempt(
            delivery.org,
            delivery.event_type,
            outcome_label(outcome),
            delivery.payload,
            self._clock(),
        )
        log.info(
            "webhook.delivery.attempted",
            delivery_id=str(delivery.id),
            subscription_id=str(delivery.subscription_id),
            event_type=delivery.event_type,
            attempt=delivery.attempt_count + 1,
            status_code=result.status_code,
            error=result.error,
            outcome=outcome.status.value,
        )

    async def _load(self, delivery_id: uuid.UUID) -> _Target | None:
        async with self._uow_factory() as uow:
            delivery = await uow.deliveries.get_any(delivery_id)
            if delivery is None:
                return None
            subscription = await uow.subscriptions.get_any(delivery.subscription_id)
            if subscription is None:
                return None
            # During a rotation's overlap both secrets sign (space separated, current first).
            secrets_ = signing_secrets(
                subscription.secret,
                subscription.old_secret,
                subscription.old_secret_expires_at,
                self._clock(),
            )
            return _Target(delivery, subscription.url, " ".join(secrets_), _stopped(subscription))

    async def _settle(
        self, delivery: Delivery, started: datetime, result: SendResult, *, retry: bool
    ) -> AttemptOutcome:
        """Record the attempt and its outcome under the subscription's row lock."""
        round_attempts = delivery.attempts_in_round + 1
        async with self._uow_factory() as uow:
            # Lock order: subscription, then delivery (as disabling does), so no deadlock.
            subscription = await uow.subscriptions.lock_any(
                delivery.subscription_id, exclusive=is_gone(result.status_code)
            )
            # Read the clock under the lock: an attempt settled after a concurrent 410
            # disabled the subscription then ends at or after `disabled_at`, so enabling
            # with `redeliver_disabled` finds it.
            now = self._clock()
            stopped = _stopped(subscription) if subscription is not None else None
            outcome = settle_attempt(
                self._policy, round_attempts, result, now, subscription_stopped=stopped
            )
            done = outcome.status is not DeliveryStatus.PENDING
            attempt = DeliveryAttempt(
                delivery_id=delivery.id,
                attempt_number=delivery.attempt_count + 1,
                attempted_at=started,
                status_code=result.status_code,
                error=result.error,
                duration_ms=round(result.duration_ms, 1),
            )
            values = {
                "status": outcome.status.value,
                "attempt_count": delivery.attempt_count + 1,
                "attempts_in_round": round_attempts,
                "next_attempt_at": outcome.next_attempt_at,
                "last_status_code": result.status_code,
                "last_error": outcome.error,
                "completed_at": now if done else None,
                "updated_at": now,
            }
            await self._apply(
                uow,
                delivery,
                values,
                attempt=attempt,
                disable=outcome.disables_subscription,
                retry=retry,
            )
        return outcome

    async def _end_unsent(self, delivery: Delivery, values: dict[str, Any]) -> None:
        async with self._uow_factory() as uow:
            await self._apply(uow, delivery, values, attempt=None, disable=False, retry=False)

    async def _apply(
        self,
        uow: NotificationsUnitOfWork,
        delivery: Delivery,
        values: dict[str, Any],
        *,
        attempt: DeliveryAttempt | None,
        disable: bool,
        retry: bool,
    ) -> None:
        now = values["updated_at"]
        finished = await uow.deliveries.finish_attempt(delivery.id, self.holder, values)
        if not finished and retry:
            # An earlier try may have committed before its connection broke: the lock is
            # released then, and the attempt must not be recorded twice.
            log.info("webhook.delivery.already_recorded", delivery_id=str(delivery.id))
        elif not finished:
            # The claim expired and another worker took the row: keep the attempt on
            # record but leave the delivery's state to the new holder.
            log.warning("webhook.delivery.claim_lost", delivery_id=str(delivery.id))
        if attempt is not None and (finished or not retry):
            uow.deliveries.add_attempt(attempt)
        if disable and await uow.subscriptions.disable(
            delivery.subscription_id, RECEIVER_GONE, now
        ):
            ended = await uow.deliveries.end_pending(
                delivery.subscription_id, SUBSCRIPTION_DISABLED, now
            )
            log.warning(
                "webhook.subscription.disabled",
                subscription_id=str(delivery.subscription_id),
                reason=RECEIVER_GONE,
                deliveries_ended=ended,
            )
        await uow.commit()


def _stopped(subscription: Subscription) -> str | None:
    """Why a subscription receives nothing now, or None while it is active."""
    if subscription.deleted_at is not None:
        return SUBSCRIPTION_DELETED
    if subscription.status != SubscriptionStatus.ACTIVE.value:
        return SUBSCRIPTION_DISABLED
    return None
