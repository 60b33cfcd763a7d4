"""Webhook bodies per topic: the receiver learns of a started handover only its announcement."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from notifications_api.domain.payloads import HandoverAnnouncement, webhook_body
from shared.events.envelope import Envelope, make_event
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import CaseTransferredV1, HandoverRequestedV1

CASE = uuid.UUID("0b4f8f0e-3f0a-4a55-9f5e-7d1c2f9a6b10")
HANDOVER = uuid.UUID("5d2a6f4e-0c1b-4c39-9a53-3d8e2f1b7a20")


def requested() -> Envelope[Any]:
    facts = EligibilityFactsV1.model_validate(
        {"birth_date": "1990-03-14", "nationality": "GERMAN", "as_of": "2026-04-02"}
    )
    event: Envelope[Any] = make_event(
        HandoverRequestedV1(
            case_id=CASE,
            handover_id=HANDOVER,
            reason="ALG1_EXHAUSTED",
            from_org="agentur-hagen",
            to_org="jobcenter-ennepe-ruhr",
            legal_domain_from="SGB_III",
            legal_domain_to="SGB_II",
            transfer_date=date(2026, 5, 1),
            requested_at=datetime(2026, 4, 2, 9, 30, tzinfo=UTC),
            facts=facts,
        ),
        source="/handover_api",
        subject=str(CASE),
    )
    return event


class TestHandoverRequestedWebhook:
    def test_carries_only_the_announcement(self) -> None:
        event = requested()
        assert event.data.facts.birth_date is not None  # the Kafka event keeps its facts
        body = json.loads(webhook_body(event))
        assert body["data"] == {
            "handover_id": str(HANDOVER),
            "reason": "ALG1_EXHAUSTED",
            "from_org": "agentur-hagen",
            "to_org": "jobcenter-ennepe-ruhr",
            "legal_domain_from": "SGB_III",
            "legal_domain_to": "SGB_II",
            "transfer_date": "2026-05-01",
            "requested_at": "2026-04-02T09:30:00Z",
            "status": "ANNOUNCED",
        }
        assert "1990-03-14" not in webhook_body(event)
        assert "GERMAN" not in webhook_body(event)

    def test_keeps_the_cloudevent_attributes(self) -> None:
        event = requested()
        body = json.loads(webhook_body(event))
        assert (body["id"], body["type"], body["subject"]) == (
            str(event.id),
            "de.handover.handover.requested.v1",
            str(CASE),
        )
        assert body["specversion"] == "1.0"

    def test_the_announcement_example_is_valid(self) -> None:
        schema = HandoverAnnouncement.model_json_schema()
        for example in schema["examples"]:
            HandoverAnnouncement.model_validate(example)


class TestOtherTopics:
    def test_case_transferred_goes_out_as_published(self) -> None:
        event: Envelope[Any] = make_event(
            CaseTransferredV1(
                case_id=CASE,
                handover_id=HANDOVER,
                from_org="agentur-hagen",
                to_org="jobcenter-ennepe-ruhr",
                reason="ALG1_EXHAUSTED",
                legal_domain_from="SGB_III",
                legal_domain_to="SGB_II",
                transferred_at=datetime(2026, 4, 2, 9, 31, tzinfo=UTC),
                integration_plan=None,
                documents=(),
                manifest_signature="sig",
                withheld_documents=("MEDICAL_PSYCHOLOGICAL_REPORT",),
            ),
            source="/handover_api",
            subject=str(CASE),
        )
        assert webhook_body(event) == event.model_dump_json()
