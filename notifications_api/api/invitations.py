"""Routes for info-session invitations."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from notifications_api.api.deps import IfMatch, InvitationsRead, InvitationsWrite, UowDep
from notifications_api.api.schemas import AttendanceUpdate, InvitationPage, InvitationRead
from notifications_api.use_cases import invitations as use_cases
from shared.etag import etag_for
from shared.pagination import CursorQuery, LimitQuery, next_page, position_cursor, read_position
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


@router.get(
    "",
    response_model=InvitationPage,
    summary="List info-session invitations",
    responses=problem_responses(400, 401, 403),
)
async def list_invitations(
    actor: InvitationsRead,
    uow: UowDep,
    case_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> InvitationPage:
    """Invitations of cases the organisation owns or whose session it co-hosts, newest first."""
    rows = await use_cases.list_invitations(
        uow, actor, case_id=case_id, after=read_position(cursor), limit=limit
    )
    page, next_cursor = next_page(rows, limit, lambda r: position_cursor(r.created_at, r.id))
    items = [InvitationRead.model_validate(r) for r in page]
    return InvitationPage(items=items, next_cursor=next_cursor)


def _with_etag(response: Response, invitation: object) -> InvitationRead:
    read = InvitationRead.model_validate(invitation)
    response.headers["ETag"] = etag_for(read.version)
    return read


@router.get(
    "/{invitation_id}",
    response_model=InvitationRead,
    summary="Read an invitation",
    responses=problem_responses(401, 403, 404),
)
async def get_invitation(
    invitation_id: uuid.UUID, response: Response, actor: InvitationsRead, uow: UowDep
) -> InvitationRead:
    """An invitation the organisation owns or co-hosts, with its ETag."""
    return _with_etag(response, await use_cases.get_invitation(uow, actor, invitation_id))


@router.put(
    "/{invitation_id}/attendance",
    response_model=InvitationRead,
    summary="Record attendance at the session",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def record_attendance(
    invitation_id: uuid.UUID,
    body: AttendanceUpdate,
    response: Response,
    actor: InvitationsWrite,
    uow: UowDep,
    if_match: IfMatch = None,
) -> InvitationRead:
    """Either host records `attended`, `no_show` or `excused` (If-Match: the ETag read)."""
    invitation = await use_cases.record_attendance(
        uow, actor, invitation_id, body.attendance, if_match
    )
    return _with_etag(response, invitation)
