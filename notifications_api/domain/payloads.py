"""What a webhook body carries, per topic: the receiver learns only what the law allows.

Until the legal trigger is recorded and the case transferred (§ 69 (1) Nr. 1 SGB X with
§ 50 SGB II), the receiving organisation has no task for the person yet, so the
`handover.requested` webhook only announces the handover: which handover, why, from whom
and for when. The Kafka event keeps the eligibility facts, which eligibility_api processes
for the sending organisation's own task (§ 67c SGB X); those never reach the receiver
before the transfer. Facts, documents and plan flow with `case.transferred`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import Envelope
from shared.events.handover import HandoverRequestedV1

ANNOUNCED = "ANNOUNCED"


class HandoverAnnouncement(BaseModel):
    """The `data` of a `handover.requested` webhook: the announcement, no person facts."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "handover_id": "5d2a6f4e-0c1b-4c39-9a53-3d8e2f1b7a20",
                    "reason": "ALG1_EXHAUSTED",
                    "from_org": "agentur-hagen",
                    "to_org": "jobcenter-ennepe-ruhr",
                    "legal_domain_from": "SGB_III",
                    "legal_domain_to": "SGB_II",
                    "transfer_date": "2026-05-01",
                    "requested_at": "2026-04-02T09:30:00Z",
                    "status": ANNOUNCED,
                }
            ]
        },
    )

    handover_id: str
    reason: str
    from_org: str
    to_org: str
    legal_domain_from: str
    legal_domain_to: str
    transfer_date: str
    requested_at: str
    status: str = ANNOUNCED


def announcement_of(data: HandoverRequestedV1) -> HandoverAnnouncement:
    """The announcement a receiver may learn of a started handover."""
    dumped = data.model_dump(mode="json")
    return HandoverAnnouncement(
        handover_id=dumped["handover_id"],
        reason=dumped["reason"],
        from_org=dumped["from_org"],
        to_org=dumped["to_org"],
        legal_domain_from=dumped["legal_domain_from"],
        legal_domain_to=dumped["legal_domain_to"],
        transfer_date=dumped["transfer_date"],
        requested_at=dumped["requested_at"],
    )


def webhook_data(data: Any) -> Mapping[str, Any]:
    """The `data` member of the webhook body for an event's data (a per-topic projection)."""
    if isinstance(data, HandoverRequestedV1):
        return announcement_of(data).model_dump(mode="json")
    dumped: dict[str, Any] = data.model_dump(mode="json")
    return dumped


def webhook_body(event: Envelope[Any]) -> str:
    """The JSON body of the webhook for `event`: its CloudEvent with the projected `data`."""
    if not isinstance(event.data, HandoverRequestedV1):
        return event.model_dump_json()
    body = event.model_dump(mode="json")
    body["data"] = dict(webhook_data(event.data))
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
