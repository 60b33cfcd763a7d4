"""Reference data integrators read before they start: what each handover reason needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from handover_api.api.deps import AnyClient
from handover_api.api.schemas import RequiredDocumentsRead
from handover_api.domain.documents import HandoverReason
from handover_api.domain.reference import required_documents
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["reference"])


@router.get(
    "/required-documents",
    summary="Documents each handover reason needs",
    response_model=RequiredDocumentsRead,
    responses=problem_responses(401, 422),
)
async def list_required_documents(
    principal: AnyClient,
    reason: Annotated[
        HandoverReason | None, Query(description="One reason; omit it for all reasons")
    ] = None,
) -> RequiredDocumentsRead:
    """Every document type per reason, mandatory ones first, with German labels."""
    return RequiredDocumentsRead.model_validate({"items": required_documents(reason)})
