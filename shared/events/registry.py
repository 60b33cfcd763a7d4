"""Registry of event types: CloudEvents type ↔ payload model ↔ topic, and decoding."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.events.base import EventData
from shared.events.case import CaseJointEndedV1, CaseRegisteredV1, CaseUpdatedV1
from shared.events.consultation import ConsultationOverdueV1
from shared.events.eligibility import EligibilityDeterminedV1
from shared.events.envelope import Envelope, RawEnvelope
from shared.events.handover import (
    CaseTransferredV1,
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    HandoverRequestedV1,
)
from shared.events.transition import TransitionUpcomingV1

EVENT_MODELS: tuple[type[EventData], ...] = (
    CaseRegisteredV1,
    CaseUpdatedV1,
    HandoverRequestedV1,
    EligibilityDeterminedV1,
    TransitionUpcomingV1,
    CaseTransferredV1,
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    ConsultationOverdueV1,
    CaseJointEndedV1,
)

# Which service announces each event type, and which consumes it (the AsyncAPI documents
# are generated from these; a test checks them against the consumers each service runs).
PRODUCED_BY: dict[str, tuple[type[EventData], ...]] = {
    "handover_api": (
        CaseRegisteredV1,
        CaseUpdatedV1,
        HandoverRequestedV1,
        CaseTransferredV1,
        HandoverAcceptedV1,
        HandoverOverdueV1,
        HandoverRejectedV1,
        CaseJointEndedV1,
    ),
    "eligibility_api": (EligibilityDeterminedV1, TransitionUpcomingV1),
    "notifications_api": (ConsultationOverdueV1,),
}
CONSUMED_BY: dict[str, tuple[type[EventData], ...]] = {
    "handover_api": (EligibilityDeterminedV1,),
    "eligibility_api": (CaseRegisteredV1, CaseUpdatedV1, HandoverRequestedV1),
    "notifications_api": (
        HandoverRequestedV1,
        CaseTransferredV1,
        HandoverAcceptedV1,
        HandoverRejectedV1,
        HandoverOverdueV1,
        TransitionUpcomingV1,
        ConsultationOverdueV1,
        CaseJointEndedV1,
    ),
}

BY_TYPE: dict[str, type[EventData]] = {m.TYPE: m for m in EVENT_MODELS}
BY_TOPIC: dict[str, type[EventData]] = {m.TOPIC: m for m in EVENT_MODELS}
TOPICS: tuple[str, ...] = tuple(m.TOPIC for m in EVENT_MODELS)
DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return topic + DLQ_SUFFIX


def all_topics() -> tuple[str, ...]:
    """Every topic the system uses, dead-letter topics included."""
    return TOPICS + tuple(dlq_topic(t) for t in TOPICS)


class UnknownEventType(ValueError):
    """The CloudEvents type is not registered."""


def decode(value: bytes) -> Envelope[Any]:
    """Decode a structured-mode CloudEvent into a typed envelope.

    Raises ValidationError for malformed events and UnknownEventType for unknown types.
    """
    raw = RawEnvelope.model_validate_json(value)
    model = BY_TYPE.get(raw.type)
    if model is None:
        raise UnknownEventType(raw.type)
    envelope: Envelope[Any] = Envelope[model].model_validate_json(value)  # type: ignore[valid-type]
    return envelope


__all__ = [
    "BY_TOPIC",
    "BY_TYPE",
    "CONSUMED_BY",
    "EVENT_MODELS",
    "PRODUCED_BY",
    "TOPICS",
    "ValidationError",
    "decode",
]
