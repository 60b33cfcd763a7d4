"""Domain errors; they carry no HTTP, app.py maps them to problem types."""

from __future__ import annotations


class NotificationsError(Exception):
    """Base of the expected errors of this service."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidWebhookUrl(NotificationsError):
    """The webhook URL breaks the URL policy (scheme, credentials, private address)."""


class BlockedWebhookAddress(NotificationsError):
    """The webhook host resolved to an address the policy forbids."""


class DeliveryInFlight(NotificationsError):
    """The delivery is being sent right now; redeliver after the attempt ends."""


class SubscriptionGone(NotificationsError):
    """The delivery's subscription was deleted; nothing can be redelivered to it."""


class SubscriptionDisabled(NotificationsError):
    """The delivery's subscription is disabled; enable it before redelivering."""


class InfoSessionNotHosted(NotificationsError):
    """The caller's organisation is neither the Agentur nor the Jobcenter of the session."""


class NotCooperationPartners(NotificationsError):
    """The named Agentur and Jobcenter have no cooperation agreement to host a session."""
