"""Routes for the info-session calendar."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from notifications_api.api.deps import (
    InfoSessionsRead,
    InfoSessionsWrite,
    InvitationsRead,
    UowDep,
)
from notifications_api.api.schemas import (
    InfoSessionCreate,
    InfoSessionPage,
    InfoSessionRead,
    InfoSessionSeriesCreate,
    InfoSessionSeriesRead,
    InvitationPage,
    InvitationRead,
)
from notifications_api.domain.invitations import LOCATION_PATTERN
from notifications_api.domain.series import SeriesRule
from notifications_api.use_cases import info_sessions as use_cases
from shared.idempotency import Answer, IdempotencyRequest
from shared.pagination import CursorQuery, LimitQuery, next_page, position_cursor, read_position
from shared.problems import problem_responses
from shared.strict import RangedAwareDatetime
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1/info-sessions", tags=["info-sessions"])
series_router = APIRouter(prefix="/v1/info-session-series", tags=["info-sessions"])


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
    series_id: Annotated[
        uuid.UUID | None, Query(description="Only sessions of this series")
    ] = None,
) -> InfoSessionPage:
    """Sessions the organisation hosts (as Agentur or Jobcenter), in start order."""
    rows = await use_cases.list_info_sessions(
        uow,
        actor,
        location=location,
        starts_from=starts_from,
        after=read_position(cursor),
        limit=limit,
        series_id=series_id,
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


@router.get(
    "/{session_id}/invitations",
    response_model=InvitationPage,
    summary="List a session's invitations",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_session_invitations(
    session_id: uuid.UUID,
    actor: InvitationsRead,
    uow: UowDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> InvitationPage:
    """Invitations seated in a session the organisation hosts, newest first."""
    rows = await use_cases.list_session_invitations(
        uow, actor, session_id, after=read_position(cursor), limit=limit
    )
    page, next_cursor = next_page(rows, limit, lambda r: position_cursor(r.created_at, r.id))
    return InvitationPage(
        items=[InvitationRead.model_validate(r) for r in page], next_cursor=next_cursor
    )


def series_read(series: object, session_count: int) -> InfoSessionSeriesRead:
    """The response body of a series (the ORM row plus its session count)."""
    fields = {
        name: getattr(series, name)
        for name in InfoSessionSeriesRead.model_fields
        if name != "session_count"
    }
    return InfoSessionSeriesRead.model_validate({**fields, "session_count": session_count})


@series_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InfoSessionSeriesRead,
    summary="Create an info-session series",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_info_session_series(
    body: InfoSessionSeriesCreate,
    actor: InfoSessionsWrite,
    uow: UowDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Add joint sessions by rule; those within the next twelve weeks exist at once."""
    idem = IdempotencyRequest.for_body(actor.org, idempotency_key, "create_series", body)

    def answer(series: object, session_count: int) -> Answer:
        body_json = series_read(series, session_count).model_dump_json()
        return Answer(status.HTTP_201_CREATED, body_json)

    cmd = use_cases.CreateSeries(
        location=body.location,
        place=body.place,
        rule=SeriesRule(
            weekday=body.weekday,
            weeks_of_month=tuple(body.weeks_of_month),
            start_time=body.start_time,
        ),
        capacity=body.capacity,
        agentur_org=body.agentur_org,
        jobcenter_org=body.jobcenter_org,
        co_hosts=[
            use_cases.CoHost(org=c.org, role=c.role.value, name=c.name, contact=c.contact)
            for c in body.co_hosts
        ],
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    return json_response(await use_cases.create_series(uow, actor, cmd, answer, idem))


@series_router.get(
    "/{series_id}",
    response_model=InfoSessionSeriesRead,
    summary="Read an info-session series",
    responses=problem_responses(401, 403, 404),
)
async def get_info_session_series(
    series_id: uuid.UUID, actor: InfoSessionsRead, uow: UowDep
) -> InfoSessionSeriesRead:
    """A series the organisation hosts; its sessions: `GET /v1/info-sessions?series_id=`."""
    series, count = await use_cases.get_series(uow, actor, series_id)
    return series_read(series, count)
