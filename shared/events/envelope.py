"""CloudEvents 1.0 envelope in structured mode: the Kafka value is the whole event as JSON.

Kafka key = case id (the CloudEvents `subject`), so all events of a case stay in order.
Header `content-type: application/cloudevents+json` marks structured mode.

`correlationid` names the flow an event belongs to (the request id of the HTTP request
that started it; consumers pass it on to what they produce) and `traceparent` (CloudEvents'
distributed tracing extension) the W3C trace context the event was created in.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.db.base import utcnow
from shared.events.base import EventData
from shared.tracing import current_correlation_id, current_traceparent

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"

D = TypeVar("D", bound=EventData)


class Envelope(BaseModel, Generic[D]):
    """A CloudEvent whose `data` is a typed event payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str
    type: str
    time: datetime = Field(default_factory=utcnow)
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str | None = None
    traceparent: str | None = Field(
        default=None,
        description="W3C trace context the event was created in (CloudEvents distributed "
        "tracing extension); the Kafka record's `traceparent` header names the publish span",
        examples=["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],
    )
    data: D

    @property
    def topic(self) -> str:
        """The Kafka topic of this event type."""
        return self.data.TOPIC


class RawEnvelope(BaseModel):
    """A CloudEvent whose data is not decoded yet (first pass of decoding)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"]
    id: uuid.UUID
    source: str
    type: str
    time: datetime
    subject: str
    datacontenttype: str = "application/json"
    correlationid: str | None = None
    traceparent: str | None = None
    data: dict[str, Any]


def make_event(
    data: D, *, source: str, subject: str, correlation_id: str | None = None
) -> Envelope[D]:
    """Wrap a payload in an envelope with a fresh id and the current time.

    Without `correlation_id` the event carries the one bound for the work in progress
    (`shared.tracing.correlation`), and it records the current trace context.
    """
    model: Any = Envelope[type(data)]  # type: ignore[misc]
    envelope: Envelope[D] = model(
        source=source,
        type=data.TYPE,
        subject=subject,
        data=data,
        correlationid=correlation_id or current_correlation_id(),
        traceparent=current_traceparent(),
    )
    return envelope
