"""Benchmarks (`make bench`); in the normal suite each runs once as a plain test."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

from pytest_benchmark.fixture import BenchmarkFixture

from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import Alg1Facts, Nationality, PersonFacts
from handover_api.domain.manifest import manifest_digest
from shared.db.base import make_metadata
from shared.db.session import create_engine, create_session_factory
from shared.db.tables import add_infrastructure_tables
from shared.db.uow import UnitOfWork
from shared.events.envelope import make_event
from shared.events.transition import TransitionUpcomingV1
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.relay import OutboxRelay
from shared.settings import DatabaseSettings, RelaySettings
from tests.conftest import BrokerHandle, DatabaseFactory

EXAMPLE_1 = PersonFacts(
    birth_date=date(1970, 6, 10),
    nationality=Nationality.GERMAN,
    erwerbsfaehig=True,
    hilfebeduerftig=True,
    habitual_residence_de=True,
    alg1=Alg1Facts(claim_start_date=date(2025, 2, 1), insured_months_30=30, insured_months_60=30),
)


def test_rule_engine_decision(benchmark: BenchmarkFixture) -> None:
    decision = benchmark(evaluate, EXAMPLE_1, date(2026, 5, 1))
    assert decision.legal_domain.value == "SGB_II"
    assert decision.key_dates.alg1_end_date == date(2026, 4, 30)


def test_manifest_digest_of_twenty_documents(benchmark: BenchmarkFixture) -> None:
    documents = [
        {
            "document_id": str(uuid.uuid4()),
            "type": "CV_CERTIFICATES",
            "sha256": "a" * 64,
            "size": 1000,
            "media_type": "application/pdf",
            "url": "http://x",
        }
        for _ in range(20)
    ]
    digest = benchmark(
        manifest_digest,
        handover_id="h",
        case_id="c",
        from_org="f",
        to_org="t",
        documents=documents,
        integration_plan=None,
    )
    assert len(digest) == 64


def test_relay_publishes_200_events_to_the_broker(
    benchmark: BenchmarkFixture, broker: BrokerHandle, postgres_database: DatabaseFactory
) -> None:
    """Outbox throughput: commit 200 events, then drain them to the real broker."""
    url = postgres_database("bench")
    metadata = make_metadata()
    add_infrastructure_tables(metadata)
    loop = asyncio.new_event_loop()
    engine = create_engine(DatabaseSettings(URL=url))
    sessions = create_session_factory(engine)
    publisher = KafkaPublisher(broker.kafka_settings(), client_id="bench")
    relay = OutboxRelay("bench", sessions, publisher, RelaySettings(BATCH_SIZE=200))

    async def prepare() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        assert await relay.lock.acquire()

    async def stage() -> None:
        async with UnitOfWork(sessions) as uow:
            for n in range(200):
                await uow.publish(
                    make_event(
                        TransitionUpcomingV1(
                            case_id=uuid.uuid4(),
                            owner_org="agentur-hagen",
                            alg1_end_date=date(2026, 4, 30),
                            invitation_date=date(2026, 1, 30),
                            scheduled_at=datetime.now(UTC),
                        ),
                        source="/bench",
                        subject=f"case-{n % 20}",
                    )
                )
            await uow.commit()

    loop.run_until_complete(prepare())
    try:
        results = benchmark.pedantic(  # type: ignore[no-untyped-call]
            lambda: loop.run_until_complete(relay.drain_once()),
            setup=lambda: loop.run_until_complete(stage()),
            rounds=5,
            iterations=1,
        )
        assert results == (200, False)
    finally:
        loop.run_until_complete(relay.lock.release())
        loop.run_until_complete(publisher.stop())
        loop.run_until_complete(engine.dispose())
        loop.close()
