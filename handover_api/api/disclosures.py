"""Routes of the person's right of access: the disclosures of a case, as data and as a letter."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from handover_api.api.deps import CasesRead, UowDep
from handover_api.api.schemas import DisclosureRead, DisclosuresRead
from handover_api.use_cases.disclosures import list_disclosures, render_disclosure_letter
from shared.db.base import utcnow
from shared.letters import PDF_MEDIA_TYPE
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["disclosures"])

PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The letter as an A4 PDF",
        "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/cases/{case_id}/disclosures",
    summary="List what was disclosed about the person",
    response_model=DisclosuresRead,
    responses=problem_responses(401, 403, 404),
)
async def get_case_disclosures(
    case_id: uuid.UUID, principal: CasesRead, uow: UowDep
) -> DisclosuresRead:
    """Art. 15 GDPR, § 83 SGB X: what went to whom, when, on which legal basis (audited).

    The current owner and every source that transferred the case may call it.
    """
    items = await list_disclosures(uow, principal, case_id)
    return DisclosuresRead(case_id=case_id, items=[DisclosureRead.model_validate(d) for d in items])


@router.get(
    "/cases/{case_id}/disclosures/letter",
    summary="The disclosures as a German letter (PDF)",
    response_class=Response,
    responses={**PDF_RESPONSE, **problem_responses(401, 403, 404)},
)
async def get_case_disclosure_letter(
    case_id: uuid.UUID, principal: CasesRead, uow: UowDep
) -> Response:
    """A letter to hand to the person, listing the disclosures (audited)."""
    letter = await render_disclosure_letter(uow, principal, case_id, utcnow())
    return Response(
        content=letter.pdf,
        media_type=PDF_MEDIA_TYPE,
        headers={"Content-Disposition": 'inline; filename="auskunft-uebermittlungen.pdf"'},
    )
