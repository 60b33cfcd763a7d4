"""Routes for notices to the person (letters and e-mails in German)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response, Security, status

from notifications_api.api.deps import StateDep, UowDep, current_principal
from notifications_api.api.schemas import NoticeCreate, NoticePage, NoticeRead
from notifications_api.use_cases import notices as use_cases
from shared.auth import Principal
from shared.idempotency import Answer, IdempotencyRequest
from shared.letters import PDF_MEDIA_TYPE
from shared.pagination import CursorQuery, LimitQuery, next_page, position_cursor, read_position
from shared.problems import problem_responses
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1/notices", tags=["notices"])

NoticesRead = Annotated[Principal, Security(current_principal, scopes=["notices:read"])]
NoticesWrite = Annotated[Principal, Security(current_principal, scopes=["notices:write"])]


@router.get(
    "",
    response_model=NoticePage,
    summary="List notices to the person",
    responses=problem_responses(400, 401, 403),
)
async def list_notices(
    actor: NoticesRead,
    uow: UowDep,
    case_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> NoticePage:
    """Notices the organisation sends, newest first (other organisations' cases: none)."""
    rows = await use_cases.list_notices(
        uow, actor, case_id=case_id, after=read_position(cursor), limit=limit
    )
    page, next_cursor = next_page(rows, limit, lambda r: position_cursor(r.created_at, r.id))
    return NoticePage(items=[NoticeRead.model_validate(r) for r in page], next_cursor=next_cursor)


@router.get(
    "/{notice_id}",
    response_model=NoticeRead,
    summary="Read a notice",
    responses=problem_responses(401, 403, 404),
)
async def get_notice(notice_id: uuid.UUID, actor: NoticesRead, uow: UowDep) -> NoticeRead:
    """Kind, channel, status and attempts of one notice (no personal data)."""
    return NoticeRead.model_validate(await use_cases.get_notice(uow, actor, notice_id))


@router.get(
    "/{notice_id}/document",
    summary="Download the rendered notice (PDF)",
    response_class=Response,
    responses={
        200: {"content": {PDF_MEDIA_TYPE: {}}, "description": "The PDF as sent or printed"},
        **problem_responses(401, 403, 404),
    },
)
async def get_notice_document(notice_id: uuid.UUID, actor: NoticesRead, uow: UowDep) -> Response:
    """The PDF (personal data: the read is written to the notice's audit trail)."""
    pdf, sha256 = await use_cases.read_notice_document(uow, actor, notice_id)
    return Response(
        content=pdf,
        media_type=PDF_MEDIA_TYPE,
        headers={"ETag": f'"{sha256}"', "Cache-Control": "no-store"},
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeRead,
    summary="Produce a notice on demand",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_notice(
    body: NoticeCreate,
    actor: NoticesWrite,
    uow: UowDep,
    state: StateDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Record a notice for a case; it is rendered and sent within seconds (see `status`)."""
    idem = IdempotencyRequest.for_body(actor.org, idempotency_key, "create_notice", body)

    def answer(notice: object) -> Answer:
        read = NoticeRead.model_validate(notice)
        return Answer(
            status.HTTP_201_CREATED,
            read.model_dump_json(),
            {"Location": f"/v1/notices/{read.id}"},
        )

    stated = body.transfer
    cmd = use_cases.RequestNotice(
        case_id=body.case_id,
        kind=body.kind,
        transfer=None
        if stated is None
        else use_cases.StatedTransfer(
            from_org=stated.from_org,
            to_org=stated.to_org,
            responsible_from=stated.responsible_from,
            document_types=tuple(stated.document_types),
            plan_continues=stated.plan_continues,
            measures_count=stated.measures_count,
        ),
    )
    return json_response(
        await use_cases.request_notice(uow, actor, cmd, answer, idem, state.notices_due.set)
    )
