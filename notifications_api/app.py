"""App factory and lifespan of notifications_api."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.adapters.webhooks import HttpxWebhookSender
from notifications_api.api import deliveries, info_sessions, invitations, subscriptions
from notifications_api.consumers import CONSUMER_GROUPS
from notifications_api.domain.deliveries import RetryPolicy, WebhookSender
from notifications_api.domain.errors import (
    BlockedWebhookAddress,
    DeliveryInFlight,
    InfoSessionNotHosted,
    InvalidWebhookUrl,
    NotCooperationPartners,
    SubscriptionDisabled,
    SubscriptionGone,
)
from notifications_api.domain.urls import UrlPolicy
from notifications_api.settings import NotificationsSettings
from notifications_api.state import NotificationsState
from notifications_api.use_cases.deliveries import DeliveryWorker
from shared.cli import Mode, settings_for_mode, worker_pool_size
from shared.jobs import PeriodicJob
from shared.messaging.port import Publisher
from shared.problems import ProblemSpec
from shared.runtime import JobFactory, Runtime, start_runtime
from shared.web import build_app, install_state

PROBLEMS: dict[type[Exception], ProblemSpec] = {
    InvalidWebhookUrl: ProblemSpec(422, "invalid-webhook-url", "Webhook URL not allowed"),
    BlockedWebhookAddress: ProblemSpec(422, "invalid-webhook-url", "Webhook URL not allowed"),
    DeliveryInFlight: ProblemSpec(409, "delivery-in-flight", "Delivery is being sent"),
    SubscriptionGone: ProblemSpec(409, "subscription-deleted", "Subscription was deleted"),
    SubscriptionDisabled: ProblemSpec(409, "subscription-disabled", "Subscription is disabled"),
    InfoSessionNotHosted: ProblemSpec(
        422, "info-session-not-hosted", "Your organisation does not host this session"
    ),
    NotCooperationPartners: ProblemSpec(
        422, "not-cooperation-partners", "No cooperation agreement between the hosts"
    ),
}

OPENAPI_TAGS = [
    {"name": "subscriptions", "description": "Webhook endpoints (Standard Webhooks signatures)"},
    {"name": "deliveries", "description": "Webhook deliveries, attempts and redelivery"},
    {"name": "info-sessions", "description": "Joint info sessions (domain.md R1)"},
    {"name": "invitations", "description": "Info-session invitations of cases (R1, R2)"},
    {"name": "operations", "description": "Health and metrics"},
]


def url_policy(settings: NotificationsSettings) -> UrlPolicy:
    """Which webhook URLs this deployment accepts."""
    return UrlPolicy(allow_http=settings.allow_http, allow_private=settings.allow_private_urls)


def make_sender(settings: NotificationsSettings, client: httpx.AsyncClient) -> HttpxWebhookSender:
    """The webhook sender for these settings over `client`."""
    return HttpxWebhookSender(
        client,
        policy=url_policy(settings),
        timeout_seconds=settings.WEBHOOKS.TIMEOUT_SECONDS,
        user_agent=settings.WEBHOOKS.USER_AGENT,
    )


def make_worker(
    settings: NotificationsSettings,
    runtime: Runtime,
    sender: WebhookSender,
    wakeup: asyncio.Event | None = None,
) -> DeliveryWorker:
    """A delivery worker on the runtime's database, woken by `wakeup` between its polls."""
    hooks = settings.WEBHOOKS
    return DeliveryWorker(
        uow_factory=lambda: NotificationsUnitOfWork(runtime.sessions, runtime.outbox_signal),
        sender=sender,
        policy=RetryPolicy(hooks.MAX_ATTEMPTS, hooks.BACKOFF_SCHEDULE_SECONDS),
        claim_seconds=hooks.CLAIM_SECONDS,
        batch_size=hooks.WORKER_BATCH_SIZE,
        interval_seconds=hooks.WORKER_INTERVAL_SECONDS,
        wakeup=wakeup,
        db_backoff_max_seconds=hooks.DB_BACKOFF_MAX_SECONDS,
        holder=f"{settings.SERVICE_NAME}-{uuid.uuid4().hex[:12]}",
    )


def create_app(
    settings: NotificationsSettings | None = None,
    *,
    publisher: Publisher | None = None,
    http_client: httpx.AsyncClient | None = None,
    mode: Mode = "serve",
) -> FastAPI:
    """Build the app; connections open in the lifespan, never at import.

    `http_client` replaces the webhook client (tests pass one with `httpx.MockTransport`).
    `mode` (`shared.cli`): "api" serves the routes without relay, consumers or the delivery
    worker; "worker" runs those with health and metrics only; "serve" does both.
    """
    config = settings or NotificationsSettings()
    # The delivery worker runs without a lock (claims skip locked rows): one connection for
    # its claim and one per send of a batch, recorded in parallel.
    pool = worker_pool_size(
        consumer_groups=len(CONSUMER_GROUPS),
        locked_jobs=0,
        concurrent_work=1 + config.WEBHOOKS.WORKER_BATCH_SIZE,
    )
    config = settings_for_mode(config, mode, worker_pool=pool)
    deliver = config.WEBHOOKS.WORKER_ENABLED and mode != "api"

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            client = http_client
            if client is None:
                client = await stack.enter_async_context(httpx.AsyncClient())
            sender = make_sender(config, client)
            # Set when a delivery is stored or queued again: the worker sends it at once.
            deliveries_due = asyncio.Event()

            worker: DeliveryWorker | None = None

            def deliver_webhooks(runtime: Runtime) -> PeriodicJob:
                nonlocal worker
                worker = make_worker(config, runtime, sender, deliveries_due)
                return worker.job

            jobs: list[JobFactory] = [deliver_webhooks] if deliver else []
            runtime = await stack.enter_async_context(
                start_runtime(
                    config,
                    uow_class=functools.partial(
                        NotificationsUnitOfWork, deliveries_due=deliveries_due
                    ),
                    consumer_groups=CONSUMER_GROUPS,
                    jobs=jobs,
                    publisher=publisher,
                )
            )
            install_state(
                app,
                NotificationsState(
                    runtime=runtime,
                    settings=config,
                    make_uow=lambda: NotificationsUnitOfWork(
                        runtime.sessions, runtime.outbox_signal, deliveries_due=deliveries_due
                    ),
                    url_policy=url_policy(config),
                    webhook_sender=sender,
                    deliveries_due=deliveries_due,
                    delivery_worker=worker,
                ),
            )
            yield

    return build_app(
        config,
        title="notifications_api" + (" (worker)" if mode == "worker" else ""),
        description=(
            "Webhook subscriptions and signed deliveries (Standard Webhooks, CloudEvents "
            "structured mode), the info-session calendar and invitations."
        ),
        version="1.0.0",
        lifespan=lifespan,
        routers=[]
        if mode == "worker"
        else [subscriptions.router, deliveries.router, info_sessions.router, invitations.router],
        problems=PROBLEMS,
        openapi_tags=OPENAPI_TAGS,
    )
