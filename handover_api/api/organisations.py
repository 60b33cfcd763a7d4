"""Routes for organisations and the manifest signing keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from handover_api.api.deps import AnyClient, SignerDep, UowDep
from handover_api.api.schemas import OrganisationRead
from handover_api.use_cases import organisations as uc
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["organisations"])


@router.get(
    "/organisations",
    summary="List organisations",
    response_model=list[OrganisationRead],
    responses=problem_responses(401),
)
async def list_organisations(principal: AnyClient, uow: UowDep) -> list[OrganisationRead]:
    """Agenturen and Jobcenter known to the broker, with the municipalities they serve."""
    return [OrganisationRead.model_validate(o) for o in await uc.list_organisations(uow)]


@router.get("/manifest-keys", summary="Manifest signing keys (JWKS)")
async def manifest_keys(signer: SignerDep) -> dict[str, Any]:
    """Public keys to verify `manifest_signature` of `case.transferred` (EdDSA JWS)."""
    return signer.jwks()
