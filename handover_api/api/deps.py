"""FastAPI dependencies of handover_api as Annotated aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Security

from handover_api.adapters.blobstore import FileBlobStore
from handover_api.adapters.signing import ManifestSigner
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.settings import HandoverSettings
from handover_api.state import HandoverState
from handover_api.use_cases.handovers import TransferContext
from shared.auth import Principal
from shared.web import ServiceDependencies

SCOPES: dict[str, str] = {
    "cases:read": "Read case records (audited)",
    "cases:write": "Create and update case records",
    "documents:read": "List and download documents (audited)",
    "documents:write": "Upload documents",
    "handovers:read": "Read handovers",
    "handovers:write": "Start, trigger, accept, reject, cancel handovers",
    "audit:read": "Read a case's audit trail",
    "contact:read": (
        "Service clients only: read a person's contact data for a stated purpose (audited)"
    ),
}

service = ServiceDependencies(HandoverState, SCOPES)
current_principal = service.principal

StateDep = Annotated[HandoverState, Depends(service.state)]
SettingsDep = Annotated[HandoverSettings, Depends(service.settings)]
UowDep = Annotated[HandoverUnitOfWork, Depends(service.uow)]


async def get_blobs(state: StateDep) -> FileBlobStore:
    """The document blob store."""
    return state.blobs


async def get_signer(state: StateDep) -> ManifestSigner:
    """The manifest signer."""
    return state.signer


async def get_transfer_context(state: StateDep) -> TransferContext:
    """Signer, base URL and deadline a transfer needs."""
    return state.transfer


BlobsDep = Annotated[FileBlobStore, Depends(get_blobs)]
SignerDep = Annotated[ManifestSigner, Depends(get_signer)]
TransferDep = Annotated[TransferContext, Depends(get_transfer_context)]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version you read")
]
IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", description="ETag you hold: 304 while it is current"),
]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag in If-None-Match is the current version"}
}


CasesRead = Annotated[Principal, Security(current_principal, scopes=["cases:read"])]
CasesWrite = Annotated[Principal, Security(current_principal, scopes=["cases:write"])]
DocumentsRead = Annotated[Principal, Security(current_principal, scopes=["documents:read"])]
DocumentsWrite = Annotated[Principal, Security(current_principal, scopes=["documents:write"])]
HandoversRead = Annotated[Principal, Security(current_principal, scopes=["handovers:read"])]
HandoversWrite = Annotated[Principal, Security(current_principal, scopes=["handovers:write"])]
AuditRead = Annotated[Principal, Security(current_principal, scopes=["audit:read"])]
ContactRead = Annotated[Principal, Security(current_principal, scopes=["contact:read"])]
AnyClient = Annotated[Principal, Security(current_principal)]
