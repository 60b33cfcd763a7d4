"""Routes of the audit chain: verify it, and sign a checkpoint on demand."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from handover_api.api.deps import AuditRead, SettingsDep, SignerDep, UowDep
from handover_api.api.schemas import AuditCheckpointRead, AuditVerificationRead, BrokenLinkRead
from handover_api.use_cases.audit import create_checkpoint, verify_chain
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "/verify",
    summary="Verify the audit chain",
    response_model=AuditVerificationRead,
    responses=problem_responses(401, 403, 422),
)
async def verify_audit_chain(
    principal: AuditRead,
    uow: UowDep,
    signer: SignerDep,
    settings: SettingsDep,
    start: Literal["start", "checkpoint"] = Query(
        "start",
        alias="from",
        description="`start` walks from the first record, `checkpoint` from the latest "
        "checkpoint whose signature verifies",
    ),
) -> AuditVerificationRead:
    """Walk the chain, check every hash link and checkpoint signature, name the first break.

    Any organisation may call it; the answer holds aggregate facts only.
    """
    result = await verify_chain(uow, signer, from_checkpoint=start == "checkpoint")
    broken = result.first_broken
    return AuditVerificationRead(
        verified=result.verified,
        from_seq=result.from_seq,
        last_seq=result.last_seq,
        records_checked=result.records_checked,
        checkpoints_checked=result.checkpoints_checked,
        latest_checkpoint_seq=result.latest_checkpoint_seq,
        first_broken=(
            BrokenLinkRead(seq=broken.seq, problem=broken.problem.value, detail=broken.detail)
            if broken is not None
            else None
        ),
        keys_url=f"{settings.base_url.rstrip('/')}/v1/manifest-keys",
    )


@router.post(
    "/checkpoints",
    status_code=201,
    summary="Sign a checkpoint of the audit chain now",
    response_model=AuditCheckpointRead,
    responses=problem_responses(401, 403, 404),
)
async def create_audit_checkpoint(
    principal: AuditRead, uow: UowDep, signer: SignerDep
) -> AuditCheckpointRead:
    """Sign the chain's current last record (repeats return the same checkpoint)."""
    checkpoint = await create_checkpoint(uow, signer)
    if checkpoint is None:
        raise NotFound("the audit chain has no records yet")
    return AuditCheckpointRead.model_validate(checkpoint)
