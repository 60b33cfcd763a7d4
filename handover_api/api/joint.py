"""Routes of the U25 joint case: the lead, the end, and case conferences."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from handover_api.api.deps import CasesRead, CasesWrite, IfMatch, UowDep
from handover_api.api.schemas import (
    CaseRead,
    ConferenceCreate,
    ConferenceRead,
    JointEnd,
    JointLeadUpdate,
)
from handover_api.domain.joint import NextStep, Participant
from handover_api.use_cases.joint import (
    RecordConference,
    change_lead,
    end_joint_case,
    list_conferences,
    record_conference,
)
from shared.etag import etag_for
from shared.idempotency import Answer, IdempotencyRequest
from shared.pagination import CursorQuery, LimitQuery, Page, id_cursor, next_page, uuid_after
from shared.problems import problem_responses
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1", tags=["joint cases"])


@router.put(
    "/cases/{case_id}/joint/lead",
    summary="Set the lead of a joint case",
    response_model=CaseRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def put_joint_lead(
    case_id: uuid.UUID,
    body: JointLeadUpdate,
    response: Response,
    principal: CasesWrite,
    uow: UowDep,
    if_match: IfMatch = None,
) -> CaseRead:
    """Either side names the lead organisation (one of the two) and its caseworker.

    Needs `If-Match` with the case's ETag; audited. `409 not-joint-case` for a case worked
    by one organisation.
    """
    case = await change_lead(
        uow, principal, case_id, if_match, body.lead_org, body.lead_contact.to_contact()
    )
    response.headers["ETag"] = etag_for(case.version)
    return CaseRead.model_validate(case)


@router.post(
    "/cases/{case_id}/joint/end",
    summary="End a joint case",
    response_model=CaseRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def post_joint_end(
    case_id: uuid.UUID,
    body: JointEnd,
    response: Response,
    principal: CasesWrite,
    uow: UowDep,
    if_match: IfMatch = None,
) -> CaseRead:
    """The caller's side is no longer involved; the other keeps the case.

    If the owner leaves, the case moves to the partner. Announces `case.joint_ended` to both
    and completes the accepted U25 handover. Needs `If-Match` with the case's ETag.
    """
    case = await end_joint_case(uow, principal, case_id, if_match, body.reason)
    response.headers["ETag"] = etag_for(case.version)
    return CaseRead.model_validate(case)


@router.post(
    "/cases/{case_id}/conferences",
    status_code=201,
    summary="Record a case conference",
    response_model=ConferenceRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_conference(
    case_id: uuid.UUID,
    body: ConferenceCreate,
    principal: CasesWrite,
    uow: UowDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Record who met (organisation and role), the agreed steps and the next review.

    The next review lies at most three months after the conference (§ 37 SGB III, else
    `422 review-too-late`). Either side of a joint case; audited.
    """
    idem = IdempotencyRequest.for_body(
        principal.org, idempotency_key, f"create_conference:{case_id}", body
    )
    cmd = RecordConference(
        held_on=body.held_on,
        participants=tuple(Participant(p.org, p.role) for p in body.participants),
        next_steps=tuple(NextStep(s.action, s.measure_type, s.measure_id) for s in body.next_steps),
        next_review_date=body.next_review_date,
    )

    def answer(conference: object) -> Answer:
        read = ConferenceRead.model_validate(conference)
        headers = {"Location": f"/v1/cases/{case_id}/conferences/{read.id}"}
        return Answer(201, read.model_dump_json(), headers)

    return json_response(await record_conference(uow, principal, case_id, cmd, answer, idem))


@router.get(
    "/cases/{case_id}/conferences",
    summary="List a case's conferences",
    response_model=Page[ConferenceRead],
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def get_conferences(
    case_id: uuid.UUID,
    principal: CasesRead,
    uow: UowDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ConferenceRead]:
    """The conferences of a case the caller works, by id; the read is audited."""
    rows = await list_conferences(uow, principal, case_id, uuid_after(cursor), limit + 1)
    page, next_cursor = next_page(rows, limit, lambda c: id_cursor(c.id))
    return Page[ConferenceRead](
        items=[ConferenceRead.model_validate(c) for c in page], next_cursor=next_cursor
    )
