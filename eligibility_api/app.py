"""App factory and lifespan of eligibility_api."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from eligibility_api.adapters.uow import Clock, EligibilityUnitOfWork, berlin_today
from eligibility_api.api import checks, rules
from eligibility_api.consumers import CONSUMER_GROUPS
from eligibility_api.settings import EligibilitySettings
from eligibility_api.state import EligibilityState
from eligibility_api.use_cases.transitions import schedule_due_transitions
from shared.cli import Mode, settings_for_mode, worker_pool_size
from shared.db.advisory import AdvisoryLock
from shared.jobs import PeriodicJob
from shared.messaging.port import Publisher
from shared.runtime import JobFactory, Runtime, start_runtime
from shared.web import build_app, install_state

DESCRIPTION = """\
Decides the Rechtskreis (SGB III, SGB II, AsylbLG, SGB XII) for a person's facts on a day,
with reasons, legal references, key dates (ALG I end, responsibility change) and the rules
version. Consumes `case.registered`, `case.updated`, `handover.requested`; publishes
`eligibility.determined` and `transition.upcoming` (about three months before ALG I ends).

Scopes: `eligibility:read`, `eligibility:write`.
"""

TRANSITION_LOCK = "transition-scheduler:eligibility_api"


def transition_scheduler(
    engine: AsyncEngine,
    make_uow: Callable[[], EligibilityUnitOfWork],
    settings: EligibilitySettings,
) -> PeriodicJob:
    """Stage `transition.upcoming` for due cases, batch after batch, on one replica."""
    batch_size = settings.SCHEDULER_BATCH_SIZE

    async def schedule() -> int:
        return await schedule_due_transitions(
            make_uow, lead_days=settings.TRANSITION_LEAD_DAYS, batch_size=batch_size
        )

    return PeriodicJob(
        "transition-scheduler",
        schedule,
        interval_seconds=settings.SCHEDULER_INTERVAL_SECONDS,
        lock=AdvisoryLock(engine, TRANSITION_LOCK),
        batch_size=batch_size,
    )


def create_app(
    settings: EligibilitySettings | None = None,
    *,
    clock: Clock = berlin_today,
    publisher: Publisher | None = None,
    mode: Mode = "serve",
) -> FastAPI:
    """Build the app; connections open in the lifespan, not here.

    `mode` (`shared.cli`): "api" serves the routes without relay, consumers or jobs;
    "worker" runs those with health and metrics only; "serve" does both.
    """
    # One consumer group; the transition scheduler runs under a lock.
    pool = worker_pool_size(consumer_groups=len(CONSUMER_GROUPS), locked_jobs=1)
    cfg = settings_for_mode(settings or EligibilitySettings(), mode, worker_pool=pool)
    uow_class = functools.partial(
        EligibilityUnitOfWork,
        rules=cfg.rule_config(),
        clock=clock,
        source=f"/{cfg.SERVICE_NAME}",
    )

    def scheduler(runtime: Runtime) -> PeriodicJob:
        return transition_scheduler(
            runtime.engine, lambda: uow_class(runtime.sessions, runtime.outbox_signal), cfg
        )

    jobs: list[JobFactory] = [scheduler] if cfg.SCHEDULER_ENABLED and mode != "api" else []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with start_runtime(
            cfg,
            uow_class=uow_class,
            consumer_groups=CONSUMER_GROUPS,
            jobs=jobs,
            publisher=publisher,
        ) as runtime:
            install_state(
                app,
                EligibilityState(
                    runtime=runtime,
                    settings=cfg,
                    make_uow=lambda: uow_class(runtime.sessions, runtime.outbox_signal),
                ),
            )
            yield

    return build_app(
        cfg,
        title="eligibility_api" + (" (worker)" if mode == "worker" else ""),
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        routers=[] if mode == "worker" else [checks.router, rules.router],
        openapi_tags=[
            {"name": "eligibility", "description": "Eligibility checks and decisions"},
            {"name": "rules", "description": "Versioned rule sets"},
        ],
    )
