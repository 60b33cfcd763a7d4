"""Eligibility checks: decide the Rechtskreis for facts on a day, and read stored decisions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response

from eligibility_api.api.deps import EligibilityRead, EligibilityWrite, UowDep
from eligibility_api.api.schemas import CHECK_EXAMPLES, CheckCreate, CheckRead
from eligibility_api.use_cases.checks import CreateCheck, create_check, get_check
from shared.idempotency import IdempotencyKeyHeader, IdempotencyRequest, respond_once
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])


@router.post(
    "/checks",
    status_code=201,
    response_model=CheckRead,
    summary="Decide the Rechtskreis for facts on a day",
    responses={
        201: {"description": "The stored decision; `Location` names it"},
        **problem_responses(401, 403, 413, 422),
    },
)
async def create_eligibility_check(
    body: Annotated[CheckCreate, Body(openapi_examples=CHECK_EXAMPLES)],
    principal: EligibilityWrite,
    uow: UowDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Evaluate the facts as of `as_of` and store the decision for the caller's organisation."""
    # Hash the parsed body, so the same request with other whitespace is still a repeat.
    idempotency = IdempotencyRequest.of(
        principal.org, idempotency_key, body.model_dump_json().encode()
    )
    cmd = CreateCheck(org=principal.org, facts=body.facts, as_of=body.as_of, case_id=body.case_id)

    async def create() -> tuple[int, CheckRead, dict[str, str]]:
        check = await create_check(uow, cmd)
        return 201, CheckRead.of(check), {"Location": f"/v1/eligibility/checks/{check.id}"}

    return await respond_once(uow, idempotency, create)


@router.get(
    "/checks/{check_id}",
    summary="Read a stored eligibility check",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_eligibility_check(
    check_id: uuid.UUID, principal: EligibilityRead, uow: UowDep
) -> CheckRead:
    """The decision exactly as it was answered; another organisation's check is not found."""
    return CheckRead.of(await get_check(uow, check_id, principal.org))
