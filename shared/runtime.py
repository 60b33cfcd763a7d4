"""The per-process runtime of a service: engine, publisher, verifier, relay and consumers.

Built in the app's lifespan (nothing connects at import) and kept on `app.state.runtime`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import TokenVerifier
from shared.db.session import create_engine, create_session_factory
from shared.db.uow import UnitOfWork
from shared.logging import get_logger
from shared.messaging.consumer import ConsumerRunner, Handler, default_instance_id
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.port import Publisher
from shared.messaging.relay import OutboxRelay
from shared.settings import ServiceSettings

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
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    resources: dict[str, Any] = field(default_factory=dict)
    # Background tasks that finish their current item when asked (see `on_stop`).
    graceful: dict[asyncio.Task[Any], Callable[[], None]] = field(default_factory=dict)

    def on_stop(self, stop: Callable[[], None]) -> None:
        """Called from a background task: on shutdown call `stop` and let the task end.

        Without it the task is cancelled at once; with it, e.g. a webhook in flight is
        recorded instead of being sent again after a restart.
        """
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("on_stop must be called from a running task")
        self.graceful[task] = stop

    def consumer_checks(self) -> dict[str, str]:
        """Readiness of each consumer group: "ok", or why it is blocked on infrastructure."""
        return {
            f"consumer:{runner.group_id}": "ok"
            if runner.blocked is None
            else runner.blocked.describe()
            for runner in self.consumers
        }


UowFactory = Callable[[async_sessionmaker[AsyncSession], asyncio.Event], UnitOfWork]
BackgroundTask = Callable[[Runtime], Coroutine[Any, Any, None]]


@contextlib.asynccontextmanager
async def start_runtime(
    settings: ServiceSettings,
    *,
    uow_class: UowFactory,
    consumer_groups: Mapping[str, Mapping[str, Handler[Any]]] | None = None,
    background: Mapping[str, BackgroundTask] | None = None,
    publisher: Publisher | None = None,
    resources: Mapping[str, Any] | None = None,
) -> AsyncIterator[Runtime]:
    """Start the runtime; on exit stop background work first, then close connections."""
    engine = create_engine(settings.DB)
    sessions = create_session_factory(engine)
    signal = asyncio.Event()
    pub: Publisher = publisher or KafkaPublisher(settings.KAFKA, client_id=settings.SERVICE_NAME)
    await pub.start()
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        publisher=pub,
        verifier=TokenVerifier(settings.AUTH),
        outbox_signal=signal,
        make_uow=lambda: uow_class(sessions, signal),
        resources=dict(resources or {}),
    )
    if settings.RELAY.ENABLED:
        runtime.relay = OutboxRelay(settings.SERVICE_NAME, sessions, pub, settings.RELAY, signal)
        runtime.tasks.append(asyncio.create_task(runtime.relay.run(), name="outbox-relay"))
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
            )
            runtime.consumers.append(runner)
            runtime.tasks.append(asyncio.create_task(runner.run(), name=f"consumer:{group_id}"))
    for name, work in (background or {}).items():
        runtime.tasks.append(asyncio.create_task(work(runtime), name=name))
    log.info("runtime.started", tasks=[t.get_name() for t in runtime.tasks])
    try:
        yield runtime
    finally:
        if runtime.relay is not None:
            runtime.relay.stop()
        for runner in runtime.consumers:
            runner.stop()
        for stop in runtime.graceful.values():
            stop()
        stoppable = [
            t
            for t in runtime.tasks
            if t in runtime.graceful or t.get_name().startswith(("outbox-relay", "consumer:"))
        ]
        # Let the relay finish the row in flight (a cancel between the broker's ack and
        # marking the row sent would publish it again), consumers their message and
        # graceful background work its item; what does not end in time is cancelled.
        if stoppable:
            await asyncio.wait(stoppable, timeout=5)
        for task in runtime.tasks:
            task.cancel()
        for task in runtime.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await pub.stop()
        await engine.dispose()
        log.info("runtime.stopped")
