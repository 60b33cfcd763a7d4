"""App factory and lifespan of eligibility_api."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from eligibility_api.adapters.uow import Clock, EligibilityUnitOfWork, berlin_today
from eligibility_api.api import checks, rules
from eligibility_api.consumers import CONSUMER_GROUPS
from eligibility_api.scheduler import transition_scheduler_task
from eligibility_api.settings import EligibilitySettings
from shared.messaging.port import Publisher
from shared.runtime import BackgroundTask, start_runtime
from shared.web import build_app

DESCRIPTION = """\
Decides the Rechtskreis (SGB III, SGB II, AsylbLG, SGB XII) for a person's facts on a day,
with reasons, legal references, key dates (ALG I end, responsibility change) and the rules
version. Consumes `case.registered`, `case.updated`, `handover.requested`; publishes
`eligibility.determined` and `transition.upcoming` (about three months before ALG I ends).

Scopes: `eligibility:read`, `eligibility:write`.
"""


def create_app(
    settings: EligibilitySettings | None = None,
    *,
    clock: Clock = berlin_today,
    publisher: Publisher | None = None,
) -> FastAPI:
    """Build the app; connections open in the lifespan, not here."""
    cfg = settings or EligibilitySettings()
    uow_class = functools.partial(
        EligibilityUnitOfWork,
        rules=cfg.rule_config(),
        clock=clock,
        source=f"/{cfg.SERVICE_NAME}",
    )
    background: dict[str, BackgroundTask] = {}
    if cfg.SCHEDULER_ENABLED:
        background["transition-scheduler"] = transition_scheduler_task(cfg)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with start_runtime(
            cfg,
            uow_class=uow_class,
            consumer_groups=CONSUMER_GROUPS,
            background=background,
            publisher=publisher,
        ) as runtime:
            app.state.runtime = runtime
            yield

    return build_app(
        cfg,
        title="eligibility_api",
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        routers=[checks.router, rules.router],
        openapi_tags=[
            {"name": "eligibility", "description": "Eligibility checks and decisions"},
            {"name": "rules", "description": "Versioned rule sets"},
        ],
    )
