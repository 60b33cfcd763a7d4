"""The typed state of notifications_api, built in the app's lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.deliveries import WebhookSender
from notifications_api.domain.urls import UrlPolicy
from notifications_api.settings import NotificationsSettings
from notifications_api.use_cases.deliveries import DeliveryWorker
from shared.web import ServiceState


@dataclass(frozen=True)
class NotificationsState(ServiceState[NotificationsSettings, NotificationsUnitOfWork]):
    """Runtime, settings and UoW factory, plus the webhook side of the service."""

    url_policy: UrlPolicy
    webhook_sender: WebhookSender
    # Set when a delivery is stored or queued again, so the worker sends it at once.
    deliveries_due: asyncio.Event
    # None where this replica runs no worker (WEBHOOKS.WORKER_ENABLED is off).
    delivery_worker: DeliveryWorker | None
    # Set when a notice is requested, so the notice job renders and sends it at once.
    notices_due: asyncio.Event = field(default_factory=asyncio.Event)
