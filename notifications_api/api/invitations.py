"""Routes for info-session invitations."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from notifications_api.api.deps import InvitationsRead, UowDep
from notifications_api.api.schemas import InvitationPage, InvitationRead
from notifications_api.use_cases import invitations as use_cases
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
    """Invitations of cases the organisation owns, newest first (other cases: none)."""
    rows = await use_cases.list_invitations(
        uow, actor, case_id=case_id, after=read_position(cursor), limit=limit
    )
    page, next_cursor = next_page(rows, limit, lambda r: position_cursor(r.created_at, r.id))
    items = [InvitationRead.model_validate(r) for r in page]
    return InvitationPage(items=items, next_cursor=next_cursor)
