"""Fixtures for eligibility_api integration tests: migrated databases, a controllable clock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.settings import EligibilitySettings
from services.issuer import DevIssuer
from shared.db import migrations
from shared.db.base import utcnow
from shared.db.session import create_engine, create_session_factory
from shared.events.case import CaseRegisteredV1, CaseUpdatedV1
from shared.events.envelope import Envelope, make_event
from shared.events.facts import Alg1HistoryV1, EligibilityFactsV1
from shared.settings import (
    AuthSettings,
    ConsumerSettings,
    DatabaseSettings,
    KafkaSettings,
    RelaySettings,
)
from tests.conftest import DatabaseFactory


@dataclass
class FakeClock:
    """'Today' as the tests say; every replica in a test shares one."""

    today: date

    def __call__(self) -> date:
        return self.today


async def migrate(url: str) -> str:
    """Migrate a fresh database to head (Alembic is sync: run it off the loop)."""
    await asyncio.to_thread(migrations.upgrade, "eligibility_api", url)
    return url


@pytest.fixture
async def migrated_url(postgres_database: DatabaseFactory) -> str:
    """A migrated PostgreSQL database."""
    return await migrate(postgres_database("elig"))


@dataclass
class Db:
    """An engine on a migrated database and a unit-of-work factory with a fake clock."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: FakeClock

    def uow(self) -> EligibilityUnitOfWork:
        return EligibilityUnitOfWork(self.sessions, clock=self.clock)


@pytest.fixture
async def db(postgres_database: DatabaseFactory) -> AsyncIterator[Db]:
    """A migrated PostgreSQL database, with today = 2026-01-15."""
    url = await migrate(postgres_database("elig"))
    engine = create_engine(DatabaseSettings(URL=url))
    try:
        yield Db(url, engine, create_session_factory(engine), FakeClock(date(2026, 1, 15)))
    finally:
        await engine.dispose()


def make_settings(
    url: str,
    *,
    issuer: DevIssuer | None = None,
    kafka: KafkaSettings | None = None,
    relay: bool = False,
    consumers: bool = False,
    scheduler: bool = False,
    **overrides: object,
) -> EligibilitySettings:
    """Settings for one test app; background work is off unless asked for."""
    auth = (
        AuthSettings(JWKS_URL=str(issuer.jwks_path), ISSUER=issuer.issuer, AUDIENCE=issuer.audience)
        if issuer is not None
        else AuthSettings()
    )
    return EligibilitySettings.model_validate(
        {
            "DB": DatabaseSettings(URL=url),
            "KAFKA": kafka or KafkaSettings(),
            "AUTH": auth,
            "RELAY": RelaySettings(ENABLED=relay, POLL_INTERVAL_SECONDS=0.5),
            "CONSUMER": ConsumerSettings(ENABLED=consumers, BACKOFF_INITIAL_SECONDS=0.01),
            "SCHEDULER_ENABLED": scheduler,
            **overrides,
        }
    )


def alg1_facts(
    claim_start: date, *, insured_months: int = 24, **extra: object
) -> EligibilityFactsV1:
    """Facts of a 40-year-old German job seeker with an ALG I claim (12 months for 24+)."""
    return EligibilityFactsV1.model_validate(
        {
            "birth_date": date(1985, 5, 5),
            "nationality": "GERMAN",
            "erwerbsfaehig": True,
            "habitual_residence_de": True,
            "alg1": Alg1HistoryV1(
                claim_start_date=claim_start,
                insured_months_30=insured_months,
                insured_months_60=insured_months,
            ),
            **extra,
        }
    )


def case_registered(
    facts: EligibilityFactsV1,
    *,
    case_id: uuid.UUID | None = None,
    owner_org: str = "agentur-hagen",
    municipality: str | None = "Witten",
    at: datetime | None = None,
) -> Envelope[CaseRegisteredV1]:
    """A case.registered event as handover_api would publish it."""
    case = case_id or uuid.uuid4()
    return make_event(
        CaseRegisteredV1(
            case_id=case,
            owner_org=owner_org,
            municipality=municipality,
            facts=facts,
            registered_at=at or utcnow(),
        ),
        source="/handover_api",
        subject=str(case),
    )


def case_updated(
    case_id: uuid.UUID,
    facts: EligibilityFactsV1,
    *,
    owner_org: str = "agentur-hagen",
    municipality: str | None = "Witten",
    at: datetime | None = None,
) -> Envelope[CaseUpdatedV1]:
    """A case.updated event as handover_api would publish it."""
    return make_event(
        CaseUpdatedV1(
            case_id=case_id,
            owner_org=owner_org,
            municipality=municipality,
            facts=facts,
            changed_fields=("facts",),
            updated_at=at or utcnow(),
        ),
        source="/handover_api",
        subject=str(case_id),
    )
