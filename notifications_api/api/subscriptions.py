"""Routes for webhook subscriptions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from notifications_api.api.deps import SubscriptionsRead, SubscriptionsWrite, UowDep, UrlPolicyDep
from notifications_api.api.schemas import (
    SecretRotated,
    SecretRotation,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionEnable,
    SubscriptionPage,
    SubscriptionRead,
)
from notifications_api.domain.deliveries import SubscriptionStatus
from notifications_api.use_cases import subscriptions as use_cases
from shared.idempotency import Answer, IdempotencyRequest
from shared.pagination import CursorQuery, LimitQuery, next_page, position_cursor, read_position
from shared.problems import problem_responses
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    summary="Create a webhook subscription",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_subscription(
    body: SubscriptionCreate,
    actor: SubscriptionsWrite,
    uow: UowDep,
    policy: UrlPolicyDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Register an endpoint; the signing secret is returned only in this response."""
    idem = IdempotencyRequest.for_body(actor.org, idempotency_key, "create_subscription", body)

    # The new row is read through the response DTO, so routes name no ORM class.
    def answer(subscription: object) -> Answer:
        created = SubscriptionCreated.model_validate(subscription)
        return Answer(
            status.HTTP_201_CREATED,
            created.model_dump_json(),
            {"Location": f"/v1/subscriptions/{created.id}"},
        )

    cmd = use_cases.CreateSubscription(
        url=body.url, event_types=tuple(body.event_types), description=body.description
    )
    return json_response(await use_cases.create_subscription(uow, actor, cmd, policy, answer, idem))


@router.get(
    "",
    response_model=SubscriptionPage,
    summary="List webhook subscriptions",
    responses=problem_responses(400, 401, 403),
)
async def list_subscriptions(
    actor: SubscriptionsRead,
    uow: UowDep,
    subscription_status: Annotated[
        SubscriptionStatus | None, Query(alias="status", description="active or disabled")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> SubscriptionPage:
    """The organisation's subscriptions that are not deleted, newest first."""
    rows = await use_cases.list_subscriptions(
        uow,
        actor,
        read_position(cursor),
        limit,
        status=subscription_status.value if subscription_status is not None else None,
    )
    page, next_cursor = next_page(rows, limit, lambda r: position_cursor(r.created_at, r.id))
    items = [SubscriptionRead.model_validate(r) for r in page]
    return SubscriptionPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{subscription_id}",
    response_model=SubscriptionRead,
    summary="Read a webhook subscription",
    responses=problem_responses(401, 403, 404),
)
async def get_subscription(
    subscription_id: uuid.UUID, actor: SubscriptionsRead, uow: UowDep
) -> SubscriptionRead:
    """One subscription of the organisation (its secret is not shown again)."""
    subscription = await use_cases.get_subscription(uow, actor, subscription_id)
    return SubscriptionRead.model_validate(subscription)


@router.post(
    "/{subscription_id}/enable",
    response_model=SubscriptionRead,
    summary="Enable a disabled webhook subscription",
    responses=problem_responses(401, 403, 404, 422),
)
async def enable_subscription(
    subscription_id: uuid.UUID,
    actor: SubscriptionsWrite,
    uow: UowDep,
    body: Annotated[SubscriptionEnable | None, Body()] = None,
) -> SubscriptionRead:
    """Deliver to the endpoint again after it answered 410 Gone; an active one stays as is.

    Events that arrived while it was disabled are not delivered; with `redeliver_disabled`
    the deliveries that ended when it was disabled are queued again.
    """
    options = body or SubscriptionEnable()
    subscription = await use_cases.enable_subscription(
        uow, actor, subscription_id, redeliver_disabled=options.redeliver_disabled
    )
    return SubscriptionRead.model_validate(subscription)


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=SecretRotated,
    summary="Rotate the signing secret of a webhook subscription",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def rotate_subscription_secret(
    subscription_id: uuid.UUID,
    actor: SubscriptionsWrite,
    uow: UowDep,
    body: Annotated[SecretRotation | None, Body()] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Issue a new secret (returned only in this response); the current one stays valid
    until `old_secret_expires_at` (default 24 hours, at most 7 days).

    Until then every delivery carries two signatures in `webhook-signature`
    (`v1,<new> v1,<old>`, Standard Webhooks), so the receiver can switch to the new secret
    at any moment of the overlap; afterwards only the new one signs.
    """
    options = body or SecretRotation()
    idem = IdempotencyRequest.for_body(
        actor.org, idempotency_key, f"rotate_secret:{subscription_id}", options
    )

    def answer(subscription: object) -> Answer:
        rotated = SecretRotated.model_validate(subscription)
        return Answer(status.HTTP_200_OK, rotated.model_dump_json(), {})

    return json_response(
        await use_cases.rotate_secret(
            uow,
            actor,
            subscription_id,
            answer,
            old_secret_expires_at=options.old_secret_expires_at,
            idempotency=idem,
        )
    )


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a webhook subscription",
    responses=problem_responses(401, 403, 404),
)
async def delete_subscription(
    subscription_id: uuid.UUID, actor: SubscriptionsWrite, uow: UowDep
) -> Response:
    """Stop deliveries to the endpoint; pending ones end as failed."""
    await use_cases.delete_subscription(uow, actor, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
