"""Routes for case records and their audit trail."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from handover_api.api.deps import (
    NOT_MODIFIED,
    AuditRead,
    CasesRead,
    CasesWrite,
    ContactRead,
    IfMatch,
    IfNoneMatch,
    TransferDep,
    UowDep,
)
from handover_api.api.schemas import (
    AuditEntryRead,
    CaseCreate,
    CaseListItem,
    CaseRead,
    CaseUpdate,
    KundennummerStr,
)
from handover_api.api.schemas import (
    ContactRead as ContactBody,
)
from handover_api.domain.case import CaseStatus, ContactPurpose
from handover_api.use_cases.audit import list_case_audit as list_audit
from handover_api.use_cases.cases import (
    RegisterCase,
    UpdateCase,
    find_cases,
    read_case,
    read_contact,
    register_case,
    update_case,
)
from shared.etag import etag_for, not_modified
from shared.idempotency import Answer, IdempotencyRequest
from shared.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    id_cursor,
    int_after,
    next_page,
    uuid_after,
)
from shared.problems import problem_responses
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1", tags=["cases"])


@router.post(
    "/cases",
    status_code=201,
    summary="Create a case",
    response_model=CaseRead,
    responses=problem_responses(401, 403, 409, 413, 422),
)
async def create_case(
    body: CaseCreate,
    principal: CasesWrite,
    uow: UowDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Create a case owned by the caller's organisation; announces `case.registered`."""
    idem = IdempotencyRequest.for_body(principal.org, idempotency_key, "create_case", body)
    cmd = RegisterCase(
        kundennummer=body.kundennummer,
        municipality=body.municipality,
        person=body.person.to_contact(),
        facts=body.facts.to_facts(),
        integration_plan=body.integration_plan.to_draft() if body.integration_plan else None,
    )

    def answer(case: object) -> Answer:
        read = CaseRead.model_validate(case)
        headers = {"ETag": etag_for(read.version), "Location": f"/v1/cases/{read.id}"}
        return Answer(201, read.model_dump_json(), headers)

    return json_response(await register_case(uow, principal, cmd, answer, idem))


@router.get(
    "/cases",
    summary="Find cases",
    response_model=Page[CaseListItem],
    responses=problem_responses(400, 401, 403, 422),
)
async def list_cases(
    principal: CasesRead,
    uow: UowDep,
    kundennummer: Annotated[
        KundennummerStr | None, Query(description="Exact Kundennummer (§ 51a SGB II)")
    ] = None,
    status: Annotated[
        CaseStatus | None, Query(description="Derived from the case's active handover")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[CaseListItem]:
    """The caller's cases by id, with contact data; each listed case's audit trail records it."""
    rows = await find_cases(
        uow,
        principal,
        kundennummer=kundennummer,
        status=status,
        after=uuid_after(cursor),
        limit=limit + 1,
    )
    page, next_cursor = next_page(rows, limit, lambda row: id_cursor(row[0].id))
    return Page[CaseListItem](
        items=[
            CaseListItem.model_validate(
                {**CaseRead.model_validate(case).model_dump(), "status": case_status}
            )
            for case, case_status in page
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/cases/{case_id}/contact",
    summary="Read a person's contact data (service clients)",
    response_model=ContactBody,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_case_contact(
    case_id: uuid.UUID,
    principal: ContactRead,
    uow: UowDep,
    purpose: Annotated[ContactPurpose, Query(description="Why the contact data is needed")],
) -> ContactBody:
    """Name, e-mail, phone and postal address for a notice; any organisation's case, audited.

    Only service clients hold `contact:read`; integration clients get 403.
    """
    case = await read_contact(uow, principal, case_id, purpose)
    person = case.person
    return ContactBody.model_validate(
        {
            "case_id": case.id,
            "purpose": purpose.value,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
            "phone": person.phone,
            "address": person.address,
        }
    )


@router.get(
    "/cases/{case_id}",
    summary="Read a case",
    response_model=CaseRead,
    responses={**NOT_MODIFIED, **problem_responses(401, 403, 404)},
)
async def get_case(
    case_id: uuid.UUID,
    response: Response,
    principal: CasesRead,
    uow: UowDep,
    if_none_match: IfNoneMatch = None,
) -> CaseRead | Response:
    """The case with contact data; every read is written to the audit trail."""
    case = await read_case(uow, principal, case_id)
    etag = etag_for(case.version)
    if not_modified(if_none_match, case.version):
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return CaseRead.model_validate(case)


@router.patch(
    "/cases/{case_id}",
    summary="Update a case",
    response_model=CaseRead,
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def patch_case(
    case_id: uuid.UUID,
    body: CaseUpdate,
    response: Response,
    principal: CasesWrite,
    uow: UowDep,
    ctx: TransferDep,
    if_match: IfMatch = None,
) -> CaseRead:
    """Change facts, contact data or the integration plan; needs `If-Match`."""
    case = await update_case(
        uow,
        principal,
        case_id,
        if_match,
        UpdateCase(
            municipality=body.municipality,
            person=body.person.to_contact() if body.person else None,
            facts=body.facts.to_facts() if body.facts else None,
            integration_plan=body.integration_plan.to_draft() if body.integration_plan else None,
        ),
        ctx,
    )
    response.headers["ETag"] = etag_for(case.version)
    return CaseRead.model_validate(case)


@router.get(
    "/cases/{case_id}/audit",
    summary="Read a case's audit trail",
    response_model=Page[AuditEntryRead],
    responses=problem_responses(401, 403, 404),
)
async def list_case_audit(
    case_id: uuid.UUID,
    principal: AuditRead,
    uow: UowDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AuditEntryRead]:
    """Who read or changed the case, oldest first; the read itself is recorded.

    The responsible organisation reads every record; a source that transferred the case
    reads the records up to and including the transfer, and its own reads after it.
    """
    rows = await list_audit(uow, principal, case_id, int_after(cursor), limit + 1)
    page, next_cursor = next_page(rows, limit, lambda e: id_cursor(e.seq))
    return Page[AuditEntryRead](
        items=[AuditEntryRead.model_validate(e) for e in page], next_cursor=next_cursor
    )
