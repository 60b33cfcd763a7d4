"""Consumer handlers of eligibility_api on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from eligibility_api.adapters.tables import CaseFacts, EligibilityCheck
from eligibility_api.consumers import (
    CONSUMER_GROUPS,
    GROUP_ID,
    on_case_registered,
    on_case_updated,
    on_handover_requested,
)
from shared.db.base import utcnow
from shared.db.tables import OUTBOX
from shared.events.eligibility import EligibilityDeterminedV1
from shared.events.envelope import Envelope, make_event
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import HandoverRequestedV1, LegalDomainCode
from shared.events.registry import decode
from shared.messaging.consumer import ConsumerRunner
from shared.messaging.memory import InMemoryPublisher
from shared.settings import ConsumerSettings, KafkaSettings
from tests.integration.eligibility.conftest import (
    Db,
    alg1_facts,
    case_registered,
    case_updated,
)


async def apply(db: Db, handler: Any, event: Envelope[Any]) -> None:
    """Run a handler the way the consumer runner does: one transaction, committed after."""
    async with db.uow() as uow:
        await handler(event, uow)
        await uow.commit()


async def published(db: Db) -> list[Envelope[Any]]:
    """Events staged in the outbox, in order."""
    async with db.sessions() as session:
        rows = (await session.execute(select(OUTBOX.c.payload).order_by(OUTBOX.c.id))).scalars()
        return [decode(p.encode()) for p in rows]


async def count(db: Db, model: type[Any]) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def handover_requested(
    facts: EligibilityFactsV1,
    *,
    legal_domain_to: LegalDomainCode = "SGB_II",
    transfer_date: date = date(2026, 5, 1),
    case_id: uuid.UUID | None = None,
) -> Envelope[HandoverRequestedV1]:
    case = case_id or uuid.uuid4()
    return make_event(
        HandoverRequestedV1(
            case_id=case,
            handover_id=uuid.uuid4(),
            reason="ALG1_EXHAUSTED",
            from_org="agentur-hagen",
            to_org="jobcenter-ennepe-ruhr",
            legal_domain_from="SGB_III",
            legal_domain_to=legal_domain_to,
            transfer_date=transfer_date,
            requested_at=utcnow(),
            facts=facts,
        ),
        source="/handover_api",
        subject=str(case),
        correlation_id="corr-1",
    )


class TestCaseRegistered:
    async def test_projects_facts_with_the_alg1_end_forecast_as_of_today(self, db: Db) -> None:
        event = case_registered(alg1_facts(date(2025, 4, 15)))

        await apply(db, on_case_registered, event)

        async with db.sessions() as session:
            case = await session.get(CaseFacts, event.data.case_id)
        assert case is not None
        assert case.owner_org == "agentur-hagen"
        assert case.municipality == "Witten"
        assert case.alg1_end_date == date(2026, 4, 14)
        assert EligibilityFactsV1.model_validate(case.facts) == event.data.facts

    async def test_publishes_a_case_level_decision_keyed_by_case(self, db: Db) -> None:
        event = case_registered(alg1_facts(date(2025, 4, 15)))

        await apply(db, on_case_registered, event)

        [determined] = await published(db)
        assert determined.type == EligibilityDeterminedV1.TYPE
        assert determined.subject == str(event.data.case_id)
        assert determined.source == "/eligibility_api"
        data = determined.data
        assert isinstance(data, EligibilityDeterminedV1)
        assert data.handover_id is None
        assert data.target_confirmed is None
        assert data.legal_domain == "SGB_III"
        assert data.as_of == date(2026, 1, 15)
        assert data.key_dates.alg1_end_date == date(2026, 4, 14)

    async def test_the_decision_is_stored_as_a_check_of_the_owner(self, db: Db) -> None:
        event = case_registered(alg1_facts(date(2025, 4, 15)))
        await apply(db, on_case_registered, event)
        [determined] = await published(db)

        async with db.uow() as uow:
            check = await uow.checks.get(determined.data.check_id, "agentur-hagen")
            other = await uow.checks.get(determined.data.check_id, "jobcenter-muenster")
            assert check is not None
            assert (check.origin, check.case_id) == ("case", event.data.case_id)
            assert other is None

    async def test_the_same_event_twice_has_one_effect(self, db: Db) -> None:
        event = case_registered(alg1_facts(date(2025, 4, 15)))

        await apply(db, on_case_registered, event)
        await apply(db, on_case_registered, event)

        assert len(await published(db)) == 1
        assert await count(db, EligibilityCheck) == 1
        assert await count(db, CaseFacts) == 1

    async def test_case_without_alg1_has_no_end_date(self, db: Db) -> None:
        facts = EligibilityFactsV1(birth_date=date(1990, 1, 1), nationality="GERMAN")
        event = case_registered(facts)

        await apply(db, on_case_registered, event)

        async with db.sessions() as session:
            case = await session.get(CaseFacts, event.data.case_id)
        assert case is not None
        assert case.alg1_end_date is None

    async def test_unrecognised_residence_status_is_a_warning_not_a_failure(self, db: Db) -> None:
        facts = EligibilityFactsV1(nationality="THIRD_COUNTRY", residence_status="NEW_TITLE_2027")

        await apply(db, on_case_registered, case_registered(facts))

        [determined] = await published(db)
        codes = {w.code for w in determined.data.warnings}
        assert "RESIDENCE_STATUS_UNRECOGNISED" in codes


class TestCaseUpdated:
    async def test_changed_facts_move_the_end_date(self, db: Db) -> None:
        registered = case_registered(alg1_facts(date(2025, 4, 15)))
        await apply(db, on_case_registered, registered)
        case_id = registered.data.case_id

        await apply(
            db,
            on_case_updated,
            case_updated(case_id, alg1_facts(date(2025, 4, 15), insured_months=12)),
        )

        async with db.sessions() as session:
            case = await session.get(CaseFacts, case_id)
        assert case is not None
        assert case.alg1_end_date == date(2025, 10, 14)
        events = await published(db)
        assert [e.data.key_dates.alg1_end_date for e in events] == [
            date(2026, 4, 14),
            date(2025, 10, 14),
        ]

    async def test_an_older_event_does_not_overwrite_newer_facts(self, db: Db) -> None:
        registered = case_registered(alg1_facts(date(2025, 4, 15)))
        await apply(db, on_case_registered, registered)
        case_id = registered.data.case_id
        stale = case_updated(
            case_id,
            alg1_facts(date(2025, 4, 15), insured_months=12),
            at=registered.data.registered_at - timedelta(hours=1),
        )

        await apply(db, on_case_updated, stale)

        async with db.sessions() as session:
            case = await session.get(CaseFacts, case_id)
        assert case is not None
        assert case.alg1_end_date == date(2026, 4, 14)
        assert len(await published(db)) == 1

    async def test_update_before_registration_creates_the_projection(self, db: Db) -> None:
        case_id = uuid.uuid4()

        await apply(
            db, on_case_updated, case_updated(case_id, alg1_facts(date(2025, 4, 15)), owner_org="x")
        )

        async with db.sessions() as session:
            case = await session.get(CaseFacts, case_id)
        assert case is not None
        assert case.owner_org == "x"


class TestHandoverRequested:
    async def test_alg1_ended_confirms_sgb2_at_the_transfer_date(self, db: Db) -> None:
        facts = alg1_facts(date(2025, 4, 15), hilfebeduerftig=True)
        event = handover_requested(facts, transfer_date=date(2026, 4, 15))

        await apply(db, on_handover_requested, event)

        [determined] = await published(db)
        data = determined.data
        assert isinstance(data, EligibilityDeterminedV1)
        assert data.handover_id == event.data.handover_id
        assert data.case_id == event.data.case_id
        assert determined.subject == str(event.data.case_id)
        assert determined.correlationid == "corr-1"
        assert data.as_of == date(2026, 4, 15)
        assert data.legal_domain == "SGB_II"
        assert data.target_confirmed is True

    async def test_target_not_responsible_is_not_confirmed(self, db: Db) -> None:
        # ALG I still runs on the transfer date and no top-up need is stated.
        event = handover_requested(alg1_facts(date(2025, 4, 15)), transfer_date=date(2026, 2, 1))

        await apply(db, on_handover_requested, event)

        [determined] = await published(db)
        assert determined.data.legal_domain == "SGB_III"
        assert determined.data.target_confirmed is False

    async def test_aufstocker_confirms_a_handover_to_sgb2(self, db: Db) -> None:
        # ALG I still runs, SGB II is paid on top: SGB II is a parallel entitlement.
        facts = alg1_facts(date(2025, 4, 15), hilfebeduerftig=True)
        event = handover_requested(facts, transfer_date=date(2026, 2, 1))

        await apply(db, on_handover_requested, event)

        [determined] = await published(db)
        data = determined.data
        assert data.legal_domain == "SGB_III"
        assert "SGB_II" in data.parallel_entitlements
        assert data.target_confirmed is True

    async def test_aufstocker_does_not_confirm_other_targets(self, db: Db) -> None:
        facts = alg1_facts(date(2025, 4, 15), hilfebeduerftig=True)
        event = handover_requested(facts, legal_domain_to="SGB_XII", transfer_date=date(2026, 2, 1))

        await apply(db, on_handover_requested, event)

        [determined] = await published(db)
        assert determined.data.target_confirmed is False

    async def test_stores_a_check_of_the_source_org(self, db: Db) -> None:
        event = handover_requested(alg1_facts(date(2025, 4, 15)))
        await apply(db, on_handover_requested, event)
        [determined] = await published(db)

        async with db.uow() as uow:
            check = await uow.checks.get(determined.data.check_id, "agentur-hagen")
            assert check is not None
            assert (check.origin, check.handover_id) == ("handover", event.data.handover_id)

    async def test_the_same_event_twice_has_one_effect(self, db: Db) -> None:
        event = handover_requested(alg1_facts(date(2025, 4, 15)))

        await apply(db, on_handover_requested, event)
        await apply(db, on_handover_requested, event)

        assert len(await published(db)) == 1
        assert await count(db, EligibilityCheck) == 1


class TestThroughTheConsumerRunner:
    async def test_redelivered_record_is_a_duplicate(self, db: Db) -> None:
        event = case_registered(alg1_facts(date(2025, 4, 15)))
        runner = ConsumerRunner(
            service="eligibility_api",
            group_id=GROUP_ID,
            handlers=CONSUMER_GROUPS[GROUP_ID],
            uow_factory=db.uow,
            publisher=InMemoryPublisher(),
            kafka=KafkaSettings(),
            settings=ConsumerSettings(),
        )
        record: Any = _Record("case.registered", event.model_dump_json().encode())

        first = await runner.handle_record(record)
        second = await runner.handle_record(record)

        assert (first, second) == ("processed", "duplicate")
        assert len(await published(db)) == 1


class _Record:
    """The fields of an aiokafka ConsumerRecord the runner reads."""

    def __init__(self, topic: str, value: bytes) -> None:
        self.topic = topic
        self.value = value
        self.key = b""
        self.partition = 0
        self.offset = 0
        self.headers: tuple[tuple[str, bytes], ...] = ()
