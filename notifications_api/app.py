"""App factory and lifespan of notifications_api."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import httpx
from fastapi import FastAPI

from notifications_api.adapters.contacts import (
    ClientCredentialsToken,
    HandoverContactSource,
    StaticToken,
    TokenSource,
)
from notifications_api.adapters.mailer import SmtpMailer
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.adapters.webhooks import HttpxWebhookSender
from notifications_api.api import (
    consultations,
    deliveries,
    info_sessions,
    invitations,
    notices,
    subscriptions,
)
from notifications_api.consumers import CONSUMER_GROUPS
from notifications_api.domain.consultations import (
    AttendanceNotPossible,
    ConsultationAlreadyFinal,
    ConsultationNeedsAttendance,
    ConsultationOutsideWindow,
    InvalidConsultationSlot,
)
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
from notifications_api.domain.notices import NoticeFactsUnknown, NoticeRetryPolicy
from notifications_api.domain.series import InvalidCoHosts, InvalidSeriesPeriod
from notifications_api.domain.urls import UrlPolicy
from notifications_api.settings import NotificationsSettings
from notifications_api.state import NotificationsState
from notifications_api.use_cases.consultations import report_overdue_consultations
from notifications_api.use_cases.deliveries import DeliveryWorker
from notifications_api.use_cases.info_sessions import extend_series
from notifications_api.use_cases.notices import NoticeSender
from shared.cli import Mode, settings_for_mode, worker_pool_size
from shared.db.advisory import AdvisoryLock
from shared.db.base import utcnow
from shared.jobs import PeriodicJob
from shared.letters import LetterRenderer
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
    InvalidCoHosts: ProblemSpec(
        422, "invalid-co-hosts", "Co-hosts must be the placement officer and the coach"
    ),
    InvalidSeriesPeriod: ProblemSpec(422, "invalid-series-period", "Series ends before it starts"),
    AttendanceNotPossible: ProblemSpec(
        422, "attendance-not-possible", "The invitation has no session"
    ),
    ConsultationNeedsAttendance: ProblemSpec(
        422, "consultation-needs-attendance", "The person has not attended the session"
    ),
    ConsultationOutsideWindow: ProblemSpec(
        422, "consultation-outside-window", "Consultation not within four weeks of the session"
    ),
    InvalidConsultationSlot: ProblemSpec(
        422, "invalid-consultation-slot", "Consultation slot not plausible"
    ),
    ConsultationAlreadyFinal: ProblemSpec(
        409, "consultation-already-final", "Consultation was already recorded"
    ),
    NoticeFactsUnknown: ProblemSpec(
        422, "notice-facts-unknown", "Nothing is known to write this notice"
    ),
}

OPENAPI_TAGS = [
    {"name": "subscriptions", "description": "Webhook endpoints (Standard Webhooks signatures)"},
    {"name": "deliveries", "description": "Webhook deliveries, attempts and redelivery"},
    {"name": "info-sessions", "description": "Joint info sessions (domain.md R1)"},
    {"name": "invitations", "description": "Info-session invitations of cases (R1, R2)"},
    {"name": "consultations", "description": "Individual consultations after a session (R2)"},
    {"name": "notices", "description": "Letters and e-mails to the person, in German"},
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


# Background checks of the info-session calendar; each runs on one replica at a time.
CONSULTATION_CHECK_INTERVAL_SECONDS = 300.0
SERIES_EXTENSION_INTERVAL_SECONDS = 3600.0


def consultation_overdue_check(
    runtime: Runtime, clock: Callable[[], datetime] = utcnow
) -> PeriodicJob:
    """Stage `consultation.overdue` for attended sessions without a consultation in time."""

    async def report() -> int:
        async with NotificationsUnitOfWork(runtime.sessions, runtime.outbox_signal) as uow:
            count = await report_overdue_consultations(uow, clock())
            await uow.commit()
        return count

    return PeriodicJob(
        "consultation-overdue",
        report,
        interval_seconds=CONSULTATION_CHECK_INTERVAL_SECONDS,
        lock=AdvisoryLock(runtime.engine, "consultation-overdue"),
    )


def series_extension(runtime: Runtime) -> PeriodicJob:
    """Materialise the sessions of every series up to the horizon (one replica)."""

    async def extend() -> int:
        async with NotificationsUnitOfWork(runtime.sessions, runtime.outbox_signal) as uow:
            count = await extend_series(uow, utcnow())
            await uow.commit()
        return count

    return PeriodicJob(
        "info-session-series",
        extend,
        interval_seconds=SERIES_EXTENSION_INTERVAL_SECONDS,
        lock=AdvisoryLock(runtime.engine, "info-session-series"),
    )


def contact_tokens(settings: NotificationsSettings, client: httpx.AsyncClient) -> TokenSource:
    """The service token for handover_api's contact endpoint: client credentials or static."""
    contacts = settings.NOTICES.CONTACTS
    if contacts.TOKEN_URL and contacts.CLIENT_ID and contacts.CLIENT_SECRET:
        return ClientCredentialsToken(
            client,
            token_url=contacts.TOKEN_URL,
            client_id=contacts.CLIENT_ID,
            client_secret=contacts.CLIENT_SECRET.get_secret_value(),
            scope=contacts.SCOPE,
            timeout_seconds=contacts.TIMEOUT_SECONDS,
        )
    return StaticToken(contacts.TOKEN.get_secret_value() if contacts.TOKEN else "")


def make_notice_sender(
    settings: NotificationsSettings, runtime: Runtime, client: httpx.AsyncClient
) -> NoticeSender:
    """The notice job's work: contact data over `client`, SMTP as configured."""
    notices = settings.NOTICES
    smtp = notices.SMTP
    return NoticeSender(
        uow_factory=lambda: NotificationsUnitOfWork(runtime.sessions, runtime.outbox_signal),
        contacts=HandoverContactSource(
            client,
            base_url=notices.CONTACTS.BASE_URL,
            tokens=contact_tokens(settings, client),
            timeout_seconds=notices.CONTACTS.TIMEOUT_SECONDS,
        ),
        mailer=SmtpMailer(
            host=smtp.HOST,
            port=smtp.PORT,
            from_address=smtp.FROM_ADDRESS,
            starttls=smtp.STARTTLS,
            username=smtp.USERNAME,
            password=smtp.PASSWORD.get_secret_value() if smtp.PASSWORD else None,
            timeout_seconds=smtp.TIMEOUT_SECONDS,
        ),
        renderer=LetterRenderer("notifications_api"),
        policy=NoticeRetryPolicy(notices.MAX_ATTEMPTS, notices.BACKOFF_SCHEDULE_SECONDS),
        batch_size=notices.BATCH_SIZE,
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
        locked_jobs=3,
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
            if mode != "api":
                jobs += [consultation_overdue_check, series_extension]
            # Set when a notice is requested: the notice job renders and sends it at once.
            notices_due = asyncio.Event()
            if mode != "api" and config.NOTICES.JOB_ENABLED:
                contacts_client = await stack.enter_async_context(httpx.AsyncClient())

                def send_notices(runtime: Runtime) -> PeriodicJob:
                    return make_notice_sender(config, runtime, contacts_client).job(
                        interval_seconds=config.NOTICES.INTERVAL_SECONDS,
                        lock=AdvisoryLock(runtime.engine, "notices"),
                        wakeup=notices_due,
                    )

                jobs.append(send_notices)
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
                    notices_due=notices_due,
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
        else [
            subscriptions.router,
            deliveries.router,
            info_sessions.router,
            info_sessions.series_router,
            invitations.router,
            consultations.router,
            notices.router,
        ],
        problems=PROBLEMS,
        openapi_tags=OPENAPI_TAGS,
    )
