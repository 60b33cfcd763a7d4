"""Routes for handovers: start, trigger, waive, accept, reject, cancel, complete, read."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from handover_api.api.deps import (
    NOT_MODIFIED,
    HandoversRead,
    HandoversWrite,
    IfMatch,
    IfNoneMatch,
    TransferDep,
    UowDep,
)
from handover_api.api.schemas import (
    CancelIn,
    HandoverCreate,
    HandoverRead,
    RejectIn,
    TriggerIn,
    WaiverIn,
)
from handover_api.domain.lifecycle import HandoverStatus
from handover_api.use_cases import handovers as uc
from shared.etag import etag_for, not_modified
from shared.idempotency import Answer, IdempotencyRequest
from shared.pagination import CursorQuery, LimitQuery, Page, id_cursor, next_page, uuid_after
from shared.problems import problem_responses
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1", tags=["handovers"])

CHANGE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422)


def as_read(view: uc.HandoverView) -> HandoverRead:
    """The response body of a handover, with what still blocks it."""
    handover = view.handover
    missing, blocking = view.blocking
    fields = {
        name: getattr(handover, name)
        for name in HandoverRead.model_fields
        if hasattr(handover, name)
    }
    fields.update(
        missing_documents=missing,
        blocking=blocking,
        blocking_causes=view.blockers,
        fhir_status=HandoverStatus(handover.status).fhir_status,
    )
    return HandoverRead.model_validate(fields)


@router.post(
    "/cases/{case_id}/handovers",
    status_code=201,
    summary="Start a handover",
    response_model=HandoverRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def start_handover(
    case_id: uuid.UUID,
    body: HandoverCreate,
    principal: HandoversWrite,
    uow: UowDep,
    ctx: TransferDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Open a handover; it transfers by itself once trigger, eligibility and documents hold."""
    idem = IdempotencyRequest.for_body(
        principal.org, idempotency_key, f"start_handover {case_id}", body
    )
    cmd = uc.StartHandover(
        reason=body.reason,
        to_org=body.to_org,
        transfer_date=body.transfer_date,
        trigger=body.trigger.to_trigger() if body.trigger else None,
        waivers=tuple(w.to_waiver() for w in body.waivers),
    )

    def answer(view: uc.HandoverView) -> Answer:
        handover = view.handover
        headers = {"ETag": etag_for(handover.version), "Location": f"/v1/handovers/{handover.id}"}
        return Answer(201, as_read(view).model_dump_json(), headers)

    return json_response(await uc.start_handover(uow, principal, case_id, cmd, ctx, answer, idem))


@router.get(
    "/handovers/{handover_id}",
    summary="Read a handover",
    response_model=HandoverRead,
    responses={**NOT_MODIFIED, **problem_responses(401, 403, 404)},
)
async def get_handover(
    handover_id: uuid.UUID,
    response: Response,
    principal: HandoversRead,
    uow: UowDep,
    if_none_match: IfNoneMatch = None,
) -> HandoverRead | Response:
    """Visible to the source (until completed) and, once released, to the receiver."""
    view = await uc.read_handover(uow, principal, handover_id)
    if not_modified(if_none_match, view.handover.version):
        return Response(status_code=304, headers={"ETag": etag_for(view.handover.version)})
    return _with_etag(response, view)


@router.get(
    "/handovers",
    summary="List handovers",
    response_model=Page[HandoverRead],
    responses=problem_responses(401, 403, 422),
)
async def list_handovers(
    principal: HandoversRead,
    uow: UowDep,
    direction: Annotated[Literal["incoming", "outgoing"] | None, Query()] = None,
    status: Annotated[HandoverStatus | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[HandoverRead]:
    """Incoming (released to the caller) and outgoing handovers, oldest id first."""
    views = await uc.list_handovers(
        uow,
        principal,
        direction=direction,
        status=status,
        after=uuid_after(cursor),
        limit=limit + 1,
    )
    page, next_cursor = next_page(views, limit, lambda v: id_cursor(v.handover.id))
    items = [as_read(v) for v in page]
    return Page[HandoverRead](items=items, next_cursor=next_cursor)


def _with_etag(response: Response, view: uc.HandoverView) -> HandoverRead:
    """The handover's body, its version as the ETag."""
    response.headers["ETag"] = etag_for(view.handover.version)
    return as_read(view)


@router.post(
    "/handovers/{handover_id}/trigger",
    summary="Record the legal trigger",
    response_model=HandoverRead,
    responses=CHANGE_ERRORS,
)
async def record_trigger(
    handover_id: uuid.UUID,
    body: TriggerIn,
    response: Response,
    principal: HandoversWrite,
    uow: UowDep,
    ctx: TransferDep,
    if_match: IfMatch = None,
) -> HandoverRead:
    """E.g. the SGB II application was filed; the handover may transfer right away."""
    trigger = body.to_trigger()
    return _with_etag(
        response, await uc.record_trigger(uow, principal, handover_id, trigger, if_match, ctx)
    )


@router.post(
    "/handovers/{handover_id}/waivers",
    summary="Waive a mandatory document",
    response_model=HandoverRead,
    responses=CHANGE_ERRORS,
)
async def waive_document(
    handover_id: uuid.UUID,
    body: WaiverIn,
    response: Response,
    principal: HandoversWrite,
    uow: UowDep,
    ctx: TransferDep,
    if_match: IfMatch = None,
) -> HandoverRead:
    """Explicitly waive a mandatory item, with a reason (source only, before transfer)."""
    waiver = body.to_waiver()
    return _with_etag(
        response, await uc.waive_document(uow, principal, handover_id, waiver, if_match, ctx)
    )


@router.post(
    "/handovers/{handover_id}/accept",
    summary="Accept a handover",
    response_model=HandoverRead,
    responses=CHANGE_ERRORS,
)
async def accept_handover(
    handover_id: uuid.UUID,
    response: Response,
    principal: HandoversWrite,
    uow: UowDep,
    if_match: IfMatch = None,
) -> HandoverRead:
    """The receiving organisation confirms and continues the case."""
    return _with_etag(response, await uc.accept_handover(uow, principal, handover_id, if_match))


@router.post(
    "/handovers/{handover_id}/complete",
    summary="Complete a handover",
    response_model=HandoverRead,
    responses=CHANGE_ERRORS,
)
async def complete_handover(
    handover_id: uuid.UUID,
    response: Response,
    principal: HandoversWrite,
    uow: UowDep,
    if_match: IfMatch = None,
) -> HandoverRead:
    """The receiver continued the plan; the source's read access ends."""
    return _with_etag(response, await uc.complete_handover(uow, principal, handover_id, if_match))


@router.post(
    "/handovers/{handover_id}/reject",
    summary="Reject a handover",
    response_model=HandoverRead,
    responses=CHANGE_ERRORS,
)
async def reject_handover(
    handover_id: uuid.UUID,
    body: RejectIn,
    response: Response,
    principal: HandoversWrite,
    uow: UowDep,
    if_match: IfMatch = None,
) -> HandoverRead:
    """Return the case to the source with a reason code."""
    return _with_etag(
        response, await uc.reject_handover(uow, principal, handover_id, body.reason_code, if_match)
    )


@router.post(
    "/handovers/{handover_id}/cancel",
    summary="Cancel a handover",
    response_model=HandoverRead,
    responses=CHANGE_ERRORS,
)
async def cancel_handover(
    handover_id: uuid.UUID,
    body: CancelIn,
    response: Response,
    principal: HandoversWrite,
    uow: UowDep,
    if_match: IfMatch = None,
) -> HandoverRead:
    """The source withdraws the handover (job found, new ALG I, moved away)."""
    return _with_etag(
        response, await uc.cancel_handover(uow, principal, handover_id, body.reason_code, if_match)
    )
