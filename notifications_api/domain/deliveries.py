"""Delivery states and the retry rule for webhook attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class DeliveryStatus(StrEnum):
    """pending until an attempt succeeds (succeeded) or the attempts run out (failed)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def is_success(status_code: int | None) -> bool:
    """Only a 2xx answer counts; redirects are not followed and count as failures."""
    return status_code is not None and 200 <= status_code < 300


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with a backoff schedule (the last delay repeats)."""

    max_attempts: int
    schedule_seconds: tuple[float, ...]

    def delay_after(self, failed_attempts: int) -> timedelta:
        """The wait after the n-th failed attempt of a round (n >= 1)."""
        index = min(max(failed_attempts, 1), len(self.schedule_seconds)) - 1
        return timedelta(seconds=self.schedule_seconds[index])


class SubscriptionStatus(StrEnum):
    """active until the receiver answers 410 Gone (disabled); the owner enables it again."""

    ACTIVE = "active"
    DISABLED = "disabled"


# Why a subscription is disabled, and why a delivery ended without reaching its receiver.
RECEIVER_GONE = "receiver_gone"
SUBSCRIPTION_DISABLED = "subscription_disabled"
SUBSCRIPTION_DELETED = "subscription_deleted"


def is_gone(status_code: int | None) -> bool:
    """410 Gone: the receiver asks to stop all deliveries to this endpoint."""
    return status_code == 410


@dataclass(frozen=True)
class AttemptOutcome:
    """What one attempt means for the delivery (and, on 410, for its subscription)."""

    status: DeliveryStatus
    next_attempt_at: datetime | None
    disables_subscription: bool = False
    error: str | None = None


def after_attempt(
    policy: RetryPolicy, attempts_in_round: int, succeeded: bool, now: datetime
) -> AttemptOutcome:
    """The delivery's state after its `attempts_in_round`-th attempt in this round."""
    if succeeded:
        return AttemptOutcome(DeliveryStatus.SUCCEEDED, None)
    if attempts_in_round >= policy.max_attempts:
        return AttemptOutcome(DeliveryStatus.FAILED, None)
    return AttemptOutcome(DeliveryStatus.PENDING, now + policy.delay_after(attempts_in_round))


def settle_attempt(
    policy: RetryPolicy,
    attempts_in_round: int,
    result: SendResult,
    now: datetime,
    *,
    subscription_stopped: str | None,
) -> AttemptOutcome:
    """The delivery's state after an attempt, given whether its subscription still receives.

    `subscription_stopped` is None while the subscription is active, else why it stopped
    (`subscription_disabled`, `subscription_deleted`): a failed attempt is then final.
    """
    if is_success(result.status_code):
        return AttemptOutcome(DeliveryStatus.SUCCEEDED, None)
    if is_gone(result.status_code):
        return AttemptOutcome(
            DeliveryStatus.FAILED,
            None,
            disables_subscription=subscription_stopped is None,
            error=result.error,
        )
    if subscription_stopped is not None:
        return AttemptOutcome(DeliveryStatus.FAILED, None, error=subscription_stopped)
    outcome = after_attempt(policy, attempts_in_round, False, now)
    return AttemptOutcome(outcome.status, outcome.next_attempt_at, error=result.error)


@dataclass(frozen=True)
class WebhookRequest:
    """One attempt to post a delivery's body to a subscription's URL."""

    url: str
    message_id: str
    body: bytes
    secret: str


@dataclass(frozen=True)
class SendResult:
    """What one attempt got: a status code or an error, and how long it took."""

    status_code: int | None
    error: str | None
    duration_ms: float


class WebhookSender(Protocol):
    """Sends one signed webhook; never raises for network or HTTP failures."""

    async def send(self, request: WebhookRequest) -> SendResult: ...
