"""Routes for webhook deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from notifications_api.api.deps import DeliveriesRead, DeliveriesWrite, UowDep
from notifications_api.api.schemas import (
    DeliveryAttemptRead,
    DeliveryDetail,
    DeliveryPage,
    DeliveryRead,
)
from notifications_api.domain.deliveries import DeliveryStatus
from notifications_api.use_cases import deliveries as use_cases
from shared.pagination import CursorQuery, LimitQuery, next_page, position_cursor, read_position
from shared.problems import problem_responses
from shared.strict import CleanText

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])


@router.get(
    "",
    response_model=DeliveryPage,
    summary="List webhook deliveries",
    responses=problem_responses(400, 401, 403),
)
async def list_deliveries(
    actor: DeliveriesRead,
    uow: UowDep,
    delivery_status: Annotated[
        DeliveryStatus | None, Query(alias="status", description="pending, succeeded or failed")
    ] = None,
    event_type: Annotated[
        CleanText | None,
        Query(max_length=200, description="Topic (`case.transferred`) or CloudEvents type"),
    ] = None,
    subscription_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> DeliveryPage:
    """Deliveries to the organisation's subscriptions, newest first."""
    rows = await use_cases.list_deliveries(
        uow,
        actor,
        status=delivery_status.value if delivery_status is not None else None,
        event_type=event_type,
        subscription_id=subscription_id,
        after=read_position(cursor),
        limit=limit,
    )
    page, next_cursor = next_page(rows, limit, lambda r: position_cursor(r.created_at, r.id))
    items = [DeliveryRead.model_validate(r) for r in page]
    return DeliveryPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{delivery_id}",
    response_model=DeliveryDetail,
    summary="Read a webhook delivery with its attempts",
    responses=problem_responses(401, 403, 404),
)
async def get_delivery(
    delivery_id: uuid.UUID, actor: DeliveriesRead, uow: UowDep
) -> DeliveryDetail:
    """One delivery of the organisation, with every attempt."""
    delivery, attempts = await use_cases.get_delivery(uow, actor, delivery_id)
    return DeliveryDetail(
        **DeliveryRead.model_validate(delivery).model_dump(),
        attempts=[DeliveryAttemptRead.model_validate(a) for a in attempts],
    )


@router.post(
    "/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    summary="Redeliver a webhook",
    responses=problem_responses(401, 403, 404, 409),
)
async def redeliver_delivery(
    delivery_id: uuid.UUID, actor: DeliveriesWrite, uow: UowDep
) -> DeliveryRead:
    """Queue the delivery again with a fresh round of attempts and the same webhook-id."""
    delivery = await use_cases.redeliver(uow, actor, delivery_id)
    return DeliveryRead.model_validate(delivery)
