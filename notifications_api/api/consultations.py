"""Routes for the individual consultation after an info session."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from notifications_api.api.deps import ConsultationsRead, ConsultationsWrite, IfMatch, UowDep
from notifications_api.api.schemas import (
    ConsultationCreate,
    ConsultationOutcome,
    ConsultationPage,
    ConsultationRead,
)
from notifications_api.domain.consultations import ConsultationStatus
from notifications_api.use_cases import consultations as use_cases
from shared.etag import etag_for
from shared.idempotency import Answer, IdempotencyRequest
from shared.pagination import CursorQuery, LimitQuery, next_page, position_cursor, read_position
from shared.problems import problem_responses
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1/consultations", tags=["consultations"])


def _with_etag(response: Response, consultation: object) -> ConsultationRead:
    read = ConsultationRead.model_validate(consultation)
    response.headers["ETag"] = etag_for(read.version)
    return read


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsultationRead,
    summary="Book a consultation",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def book_consultation(
    body: ConsultationCreate,
    actor: ConsultationsWrite,
    uow: UowDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Book the consultation within four weeks after the session the person attended."""
    idem = IdempotencyRequest.for_body(actor.org, idempotency_key, "book_consultation", body)

    def answer(consultation: object) -> Answer:
        read = ConsultationRead.model_validate(consultation)
        return Answer(
            status.HTTP_201_CREATED,
            read.model_dump_json(),
            headers={"ETag": etag_for(read.version), "Location": f"/v1/consultations/{read.id}"},
        )

    cmd = use_cases.BookConsultation(
        invitation_id=body.invitation_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        channel=body.channel,
        place=body.place,
    )
    return json_response(await use_cases.book_consultation(uow, actor, cmd, answer, idem))


@router.get(
    "",
    response_model=ConsultationPage,
    summary="List consultations",
    responses=problem_responses(400, 401, 403),
)
async def list_consultations(
    actor: ConsultationsRead,
    uow: UowDep,
    case_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> ConsultationPage:
    """Consultations in which the organisation takes part, newest first."""
    rows = await use_cases.list_consultations(
        uow, actor, case_id=case_id, after=read_position(cursor), limit=limit
    )
    page, next_cursor = next_page(rows, limit, lambda r: position_cursor(r.created_at, r.id))
    return ConsultationPage(
        items=[ConsultationRead.model_validate(r) for r in page], next_cursor=next_cursor
    )


@router.get(
    "/{consultation_id}",
    response_model=ConsultationRead,
    summary="Read a consultation",
    responses=problem_responses(401, 403, 404),
)
async def get_consultation(
    consultation_id: uuid.UUID, response: Response, actor: ConsultationsRead, uow: UowDep
) -> ConsultationRead:
    """A consultation with its ETag."""
    return _with_etag(response, await use_cases.get_consultation(uow, actor, consultation_id))


@router.post(
    "/{consultation_id}/outcome",
    response_model=ConsultationRead,
    summary="Record whether a consultation took place",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def record_outcome(
    consultation_id: uuid.UUID,
    body: ConsultationOutcome,
    response: Response,
    actor: ConsultationsWrite,
    uow: UowDep,
    if_match: IfMatch = None,
) -> ConsultationRead:
    """`held`, `cancelled` or `missed`, once, with If-Match naming the version read."""
    consultation = await use_cases.record_outcome(
        uow, actor, consultation_id, ConsultationStatus(body.status), if_match
    )
    return _with_etag(response, consultation)
