"""notifications_api's metrics: webhook outcomes, delivery latency and transfer -> webhook."""

from __future__ import annotations

import json
from datetime import datetime

from prometheus_client import Counter, Histogram

from notifications_api.domain.deliveries import AttemptOutcome, DeliveryStatus

CASE_TRANSFERRED = "de.handover.case.transferred.v1"

# `org` is the receiving organisation (a public body from a short list, no person). The
# outcome of one attempt: delivered (2xx), failed_retrying (another attempt is
# scheduled), failed (attempts used up, or the subscription stopped), disabled_gone (410:
# the subscription is disabled and the delivery ends).
WEBHOOK_DELIVERIES = Counter(
    "webhook_deliveries_total",
    "Webhook delivery attempts by receiving organisation, event type and outcome",
    ["org", "event_type", "outcome"],
)
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600)
WEBHOOK_DELIVERY_LATENCY = Histogram(
    "webhook_delivery_latency_seconds",
    "Time from the event's CloudEvents time to the receiver's 2xx",
    ["event_type"],
    buckets=_LATENCY_BUCKETS,
)
TRANSFER_TO_WEBHOOK = Histogram(
    "handover_transfer_to_webhook_seconds",
    "Time from a handover's transfer (transferred_at) to the receiver's 2xx of case.transferred",
    buckets=_LATENCY_BUCKETS,
)


def outcome_label(outcome: AttemptOutcome) -> str:
    """The outcome label of one attempt."""
    if outcome.status is DeliveryStatus.SUCCEEDED:
        return "delivered"
    if outcome.status is DeliveryStatus.PENDING:
        return "failed_retrying"
    return "disabled_gone" if outcome.disables_subscription else "failed"


def observe_attempt(org: str, event_type: str, outcome: str, payload: str, now: datetime) -> None:
    """Count one attempt; on delivery observe the latencies from the payload's times."""
    WEBHOOK_DELIVERIES.labels(org, event_type, outcome).inc()
    if outcome != "delivered":
        return
    try:
        body = json.loads(payload)
        event_time = _parse_time(body.get("time"))
        transferred_at = (
            _parse_time(body.get("data", {}).get("transferred_at"))
            if event_type == CASE_TRANSFERRED
            else None
        )
    except (ValueError, AttributeError):
        return
    if event_time is not None:
        WEBHOOK_DELIVERY_LATENCY.labels(event_type).observe(
            max((now - event_time).total_seconds(), 0.0)
        )
    if transferred_at is not None:
        TRANSFER_TO_WEBHOOK.observe(max((now - transferred_at).total_seconds(), 0.0))


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else None
