"""Eligibility checks: decide the Rechtskreis for facts on a day, and read stored decisions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response

from eligibility_api.api.deps import EligibilityRead, EligibilityWrite, UowDep
from eligibility_api.api.schemas import CHECK_EXAMPLES, CheckCreate, CheckRead
from eligibility_api.use_cases.checks import CheckResult, CreateCheck, create_check, get_check
from shared.idempotency import Answer, IdempotencyRequest
from shared.problems import problem_responses
from shared.web import IdempotencyKeyHeader, json_response

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
    idempotency = IdempotencyRequest.for_body(
        principal.org, idempotency_key, "create_eligibility_check", body
    )
    cmd = CreateCheck(org=principal.org, facts=body.facts, as_of=body.as_of, case_id=body.case_id)

    def answer(check: CheckResult) -> Answer:
        location = f"/v1/eligibility/checks/{check.id}"
        return Answer(201, CheckRead.of(check).model_dump_json(), {"Location": location})

    return json_response(await create_check(uow, cmd, answer, idempotency))


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
