"""The per-process runtime of a service: engine, publisher, verifier, relay, consumers, jobs.

Built in the app's lifespan (nothing connects at import); each service's typed state
(`shared.web.ServiceState`) holds it next to the service's own resources.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import TokenVerifier
from shared.db.base import utcnow
from shared.db.session import create_engine, create_session_factory
from shared.db.uow import UnitOfWork
from shared.jobs import PeriodicJob
from shared.logging import get_logger
from shared.messaging.consumer import ConsumerRunner, Handler, default_instance_id
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.port import Publisher
from shared.messaging.relay import OutboxRelay
from shared.metrics_collectors import SCRAPED, ScrapedGauges, outbox_gauges
from shared.settings import ServiceSettings
from shared.tracing import DISABLED, Tracing, context_for

log = get_logger(__name__)


@dataclass
class Runtime:
    """Long-lived resources of one service process."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    publisher: Publisher
    verifier: TokenVerifier
    outbox_signal: asyncio.Event
    make_uow: Callable[[], UnitOfWork]
    relay: OutboxRelay | None = None
    consumers: list[ConsumerRunner] = field(default_factory=list)
    jobs: dict[str, PeriodicJob] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # The service's own tracer provider; background tasks run with it as current_tracing().
    tracing: Tracing = DISABLED
    # Gauges read from the database at scrape time (shared.metrics_collectors).
    scraped: list[ScrapedGauges] = field(default_factory=list)

    def consumer_checks(self) -> dict[str, str]:
        """Readiness of each consumer group: "ok", or why it is blocked on infrastructure."""
        return {
            f"consumer:{runner.group_id}": "ok"
            if runner.blocked is None
            else runner.blocked.describe()
            for runner in self.consumers
        }


UowFactory = Callable[[async_sessionmaker[AsyncSession], asyncio.Event], UnitOfWork]
JobFactory = Callable[[Runtime], PeriodicJob]
GaugesFactory = Callable[[Runtime], ScrapedGauges]


def housekeeping_job(relay: OutboxRelay, settings: ServiceSettings) -> PeriodicJob:
    """Purge sent outbox rows, inbox ids and idempotency keys past their retention.

    Runs without a lock: the deletes are idempotent, so replicas purging at the same time
    only find less to delete, and no connection is held for it between runs.
    """

    async def purge() -> int:
        return sum(await relay.purge(utcnow()))

    return PeriodicJob(
        "outbox-housekeeping",
        purge,
        interval_seconds=settings.RELAY.HOUSEKEEPING_INTERVAL_SECONDS,
        backoff_max_seconds=settings.RELAY.RETRY_MAX_SECONDS,
    )


@contextlib.asynccontextmanager
async def start_runtime(
    settings: ServiceSettings,
    *,
    uow_class: UowFactory,
    consumer_groups: Mapping[str, Mapping[str, Handler[Any]]] | None = None,
    jobs: Sequence[JobFactory] = (),
    publisher: Publisher | None = None,
    gauges: Sequence[GaugesFactory] = (),
) -> AsyncIterator[Runtime]:
    """Start the runtime; on exit stop background work first, then close connections."""
    engine = create_engine(settings.DB)
    sessions = create_session_factory(engine)
    signal = asyncio.Event()
    pub: Publisher = publisher or KafkaPublisher(settings.KAFKA, client_id=settings.SERVICE_NAME)
    await pub.start()
    tracing = Tracing(settings.SERVICE_NAME, settings.TRACING, environment=settings.ENVIRONMENT)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        publisher=pub,
        verifier=TokenVerifier(settings.AUTH),
        outbox_signal=signal,
        make_uow=lambda: uow_class(sessions, signal),
        tracing=tracing,
    )
    if settings.RELAY.ENABLED:
        runtime.relay = OutboxRelay(
            settings.SERVICE_NAME, sessions, pub, settings.RELAY, signal, tracing=tracing
        )
        runtime.tasks.append(
            asyncio.create_task(
                runtime.relay.run(), name="outbox-relay", context=context_for(tracing)
            )
        )
        runtime.jobs["outbox-housekeeping"] = housekeeping_job(runtime.relay, settings)
        # The backlog is answered where the relay runs (the worker), read at scrape time.
        runtime.scraped.append(outbox_gauges(settings.SERVICE_NAME, engine))
    if settings.CONSUMER.ENABLED:
        for group_id, handlers in (consumer_groups or {}).items():
            runner = ConsumerRunner(
                service=settings.SERVICE_NAME,
                group_id=group_id,
                handlers=handlers,
                uow_factory=runtime.make_uow,
                publisher=pub,
                kafka=settings.KAFKA,
                settings=settings.CONSUMER,
                # The port tells apart replicas that share a host; both survive a restart.
                instance_id=settings.CONSUMER.GROUP_INSTANCE_ID
                or default_instance_id(settings.SERVICE_NAME, group_id, settings.PORT),
                tracing=tracing,
            )
            runtime.consumers.append(runner)
            runtime.tasks.append(
                asyncio.create_task(
                    runner.run(), name=f"consumer:{group_id}", context=context_for(tracing)
                )
            )
    for make_job in jobs:
        job = make_job(runtime)
        runtime.jobs[job.name] = job
    runtime.scraped.extend(make_gauges(runtime) for make_gauges in gauges)
    for source in runtime.scraped:
        SCRAPED.add(source)
    for job in runtime.jobs.values():
        runtime.tasks.append(
            asyncio.create_task(job.run(), name=f"job:{job.name}", context=context_for(tracing))
        )
    log.info("runtime.started", tasks=[t.get_name() for t in runtime.tasks])
    try:
        yield runtime
    finally:
        for source in runtime.scraped:
            SCRAPED.remove(source)
        if runtime.relay is not None:
            runtime.relay.stop()
        for runner in runtime.consumers:
            runner.stop()
        for job in runtime.jobs.values():
            job.stop()
        # Let the relay finish the row in flight (a cancel between the broker's ack and
        # marking the row sent would publish it again), consumers their message and jobs
        # their run (a webhook in flight is recorded instead of being sent again after a
        # restart); what does not end in time is cancelled.
        if runtime.tasks:
            await asyncio.wait(runtime.tasks, timeout=5)
        for task in runtime.tasks:
            task.cancel()
        for task in runtime.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await pub.stop()
        await engine.dispose()
        # Off the loop: the OTLP exporter flushes what is pending with blocking HTTP calls.
        await asyncio.to_thread(tracing.shutdown)
        log.info("runtime.stopped")
