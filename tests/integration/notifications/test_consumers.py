"""Consumers: one delivery per matching subscription, in the inbox transaction, once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from notifications_api.adapters.tables import Delivery
from notifications_api.consumers import CONSUMER_GROUPS, GROUP_ID
from shared.events.case import CaseJointEndedV1
from shared.events.envelope import Envelope
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import (
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    HandoverRequestedV1,
)
from tests.integration.notifications.conftest import (
    AGENCY,
    JOBCENTER,
    OTHER,
    Harness,
    event_of,
    transferred,
    upcoming,
)

NOW = datetime.now(UTC)


def handover_events() -> list[tuple[Envelope[Any], set[str]]]:
    case, handover = uuid.uuid4(), uuid.uuid4()
    both = {AGENCY, JOBCENTER}
    common = {"case_id": case, "handover_id": handover, "from_org": AGENCY, "to_org": JOBCENTER}
    return [
        (transferred(case), both),
        (
            event_of(
                HandoverRequestedV1(
                    **common,
                    reason="ALG1_EXHAUSTED",
                    legal_domain_from="SGB_III",
                    legal_domain_to="SGB_II",
                    transfer_date=date(2026, 5, 1),
                    requested_at=NOW,
                    facts=EligibilityFactsV1(),
                ),
                case,
            ),
            {JOBCENTER},
        ),
        (event_of(HandoverAcceptedV1(**common, accepted_at=NOW), case), both),
        (
            event_of(
                HandoverRejectedV1(**common, reason_code="WRONG_LOCAL_JC", rejected_at=NOW), case
            ),
            both,
        ),
        (event_of(HandoverOverdueV1(**common, due_at=NOW), case), both),
        (
            upcoming(case, invitation_date=date(2026, 1, 30), alg1_end_date=date(2026, 4, 30)),
            {AGENCY},
        ),
        (
            event_of(
                CaseJointEndedV1(
                    case_id=case,
                    left_org=JOBCENTER,
                    kept_by_org=AGENCY,
                    reason="NO_LONGER_INVOLVED",
                    ended_at=NOW,
                ),
                case,
            ),
            both,
        ),
    ]


async def deliveries_by_org(harness: Harness) -> dict[str, int]:
    async with harness.uow() as uow:
        rows = await uow.session.execute(select(Delivery.org, func.count()).group_by(Delivery.org))
        return dict(rows.all())


class TestRouting:
    @pytest.mark.parametrize("index", range(len(handover_events())))
    async def test_each_topic_reaches_the_right_organisations(
        self, harness: Harness, index: int
    ) -> None:
        event, expected = handover_events()[index]
        for org in (AGENCY, JOBCENTER, OTHER):
            await harness.subscribe(org, [event.topic])
            await harness.subscribe(
                org,
                ["handover.overdue" if event.topic != "handover.overdue" else "case.transferred"],
            )
        assert await harness.consume(event) == "processed"
        assert await deliveries_by_org(harness) == dict.fromkeys(expected, 1)

    async def test_subscription_for_other_topics_gets_nothing(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["handover.accepted"])
        assert await harness.consume(transferred()) == "processed"
        assert await deliveries_by_org(harness) == {}

    def test_handlers_cover_every_deliverable_topic_in_one_group(self) -> None:
        from notifications_api.domain.routing import DELIVERABLE_TOPICS

        assert set(CONSUMER_GROUPS) == {GROUP_ID}
        assert set(CONSUMER_GROUPS[GROUP_ID]) == set(DELIVERABLE_TOPICS)


class TestIdempotency:
    async def test_redelivered_event_has_no_second_effect(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        event = transferred()
        assert await harness.consume(event) == "processed"
        assert await harness.consume(event) == "duplicate"
        assert await deliveries_by_org(harness) == {JOBCENTER: 1}

    async def test_delivery_carries_the_cloudevent_body(self, harness: Harness) -> None:
        await harness.subscribe(JOBCENTER, ["case.transferred"])
        event = transferred()
        await harness.consume(event)
        async with harness.uow() as uow:
            delivery = (await uow.session.scalars(select(Delivery))).one()
        assert delivery.payload == event.model_dump_json()
        assert delivery.event_id == event.id
        assert delivery.subject == event.subject
        assert delivery.status == "pending"
