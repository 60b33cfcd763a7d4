"""Routes for the info-session calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from notifications_api.api.deps import InfoSessionsRead, InfoSessionsWrite, UowDep
from notifications_api.api.schemas import InfoSessionCreate, InfoSessionPage, InfoSessionRead
from notifications_api.domain.invitations import LOCATION_PATTERN
from notifications_api.use_cases import info_sessions as use_cases
from shared.idempotency import Answer, IdempotencyRequest
from shared.pagination import CursorQuery, LimitQuery, next_page, position_cursor, read_position
from shared.problems import problem_responses
from shared.strict import RangedAwareDatetime
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1/info-sessions", tags=["info-sessions"])


@router.get(
    "",
    response_model=InfoSessionPage,
    summary="List info sessions",
    responses=problem_responses(400, 401, 403),
)
async def list_info_sessions(
    actor: InfoSessionsRead,
    uow: UowDep,
    location: Annotated[str | None, Query(pattern=LOCATION_PATTERN)] = None,
    starts_from: Annotated[
        RangedAwareDatetime | None, Query(description="Only sessions starting at or after")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> InfoSessionPage:
    """Sessions the organisation hosts (as Agentur or Jobcenter), in start order."""
    rows = await use_cases.list_info_sessions(
        uow,
        actor,
        location=location,
        starts_from=starts_from,
        after=read_position(cursor),
        limit=limit,
    )
    page, next_cursor = next_page(rows, limit, lambda r: position_cursor(r.starts_at, r.id))
    items = [InfoSessionRead.model_validate(r) for r in page]
    return InfoSessionPage(items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InfoSessionRead,
    summary="Schedule an info session",
    responses=problem_responses(401, 403, 422),
)
async def create_info_session(
    body: InfoSessionCreate,
    actor: InfoSessionsWrite,
    uow: UowDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Add a joint session; invitations waiting for a seat at the location are seated."""
    idem = IdempotencyRequest.for_body(actor.org, idempotency_key, "create_info_session", body)

    # The new row is read through the response DTO, so routes name no ORM class.
    def answer(info_session: object) -> Answer:
        body_json = InfoSessionRead.model_validate(info_session).model_dump_json()
        return Answer(status.HTTP_201_CREATED, body_json)

    cmd = use_cases.ScheduleInfoSession(
        location=body.location,
        starts_at=body.starts_at,
        capacity=body.capacity,
        agentur_org=body.agentur_org,
        jobcenter_org=body.jobcenter_org,
    )
    return json_response(await use_cases.schedule_info_session(uow, actor, cmd, answer, idem))
