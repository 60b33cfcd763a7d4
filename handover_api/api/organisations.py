"""Routes for organisations and the manifest signing keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

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


# Receivers cache the key set and fetch it again for an unknown `kid`, so a roll reaches
# them at once; the lifetime only bounds how often an idle receiver asks.
JWKS_MAX_AGE_SECONDS = 300


@router.get("/manifest-keys", summary="Manifest signing keys (JWKS)", response_model=dict[str, Any])
async def manifest_keys(
    request: Request, response: Response, signer: SignerDep
) -> dict[str, Any] | Response:
    """Public keys to verify `manifest_signature` of `case.transferred` (EdDSA JWS).

    The current key first, then the retired keys (with `retired_at`), so anything signed
    before a key roll still verifies.
    """
    etag = signer.jwks_etag()
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"}
    if_none_match = request.headers.get("if-none-match", "")
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return signer.jwks()
