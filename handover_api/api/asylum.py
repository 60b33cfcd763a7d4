"""Route for recording the asylum decision on a case (Ahlen-Münster/Münster agreement)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response, Security

from handover_api.api.deps import IfMatch, TransferDep, UowDep, current_principal
from handover_api.api.handovers import as_read
from handover_api.api.schemas import AsylumDecisionIn, AsylumDecisionResult
from handover_api.use_cases.asylum import OUTCOME_TEXT_DE, record_asylum_decision
from shared.auth import Principal
from shared.etag import etag_for
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["cases"])

# The decision changes the case and may start a handover: both scopes.
AsylumWrite = Annotated[
    Principal, Security(current_principal, scopes=["cases:write", "handovers:write"])
]


@router.post(
    "/cases/{case_id}/asylum-decision",
    summary="Record the asylum decision",
    response_model=AsylumDecisionResult,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def record_decision(
    case_id: uuid.UUID,
    body: AsylumDecisionIn,
    response: Response,
    principal: AsylumWrite,
    uow: UowDep,
    ctx: TransferDep,
    if_match: IfMatch = None,
) -> AsylumDecisionResult:
    """Record the BAMF decision (audited); a positive one starts or advances the handover.

    A positive decision starts a handover (reason ASYLUM_RECOGNISED) to the Jobcenter serving
    the case's municipality, dated by eligibility_api's first day of the Jobcenter's
    responsibility, or records the served decision as the trigger of the case's preparing
    handover. `outcome` says which; with no known Jobcenter nothing starts. Needs `If-Match`
    with the case's ETag; answers the case's new ETag.
    """
    recorded = await record_asylum_decision(
        uow, principal, case_id, body.to_decision(), if_match, ctx
    )
    response.headers["ETag"] = etag_for(recorded.case.version)
    view = recorded.handover
    return AsylumDecisionResult(
        case_id=recorded.case.id,
        case_version=recorded.case.version,
        outcome=recorded.outcome.value,
        outcome_text_de=OUTCOME_TEXT_DE[recorded.outcome],
        to_org=view.handover.to_org if view is not None else None,
        handover=as_read(view) if view is not None else None,
    )
