"""FastAPI dependencies of handover_api as Annotated aliases."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Header, Request, Security

from handover_api.adapters.blobstore import FileBlobStore
from handover_api.adapters.signing import ManifestSigner
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.settings import HandoverSettings
from handover_api.use_cases.handovers import TransferContext
from shared.auth import Principal, principal_dependency
from shared.runtime import Runtime

SCOPES: dict[str, str] = {
    "cases:read": "Read case records (audited)",
    "cases:write": "Create and update case records",
    "documents:read": "List and download documents (audited)",
    "documents:write": "Upload documents",
    "handovers:read": "Read handovers",
    "handovers:write": "Start, trigger, accept, reject, cancel handovers",
    "audit:read": "Read a case's audit trail",
}

current_principal = principal_dependency(SCOPES)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_settings(request: Request) -> HandoverSettings:
    """The settings the app was built with."""
    return cast(HandoverSettings, _runtime(request).settings)


async def get_uow(request: Request) -> HandoverUnitOfWork:
    """A fresh unit of work (not yet entered)."""
    return cast(HandoverUnitOfWork, _runtime(request).make_uow())


async def get_blobs(request: Request) -> FileBlobStore:
    """The document blob store."""
    blobs: FileBlobStore = _runtime(request).resources["blobs"]
    return blobs


async def get_signer(request: Request) -> ManifestSigner:
    """The manifest signer."""
    signer: ManifestSigner = _runtime(request).resources["signer"]
    return signer


async def get_transfer_context(request: Request) -> TransferContext:
    """Signer, base URL and deadline a transfer needs."""
    context: TransferContext = _runtime(request).resources["transfer_context"]
    return context


SettingsDep = Annotated[HandoverSettings, Depends(get_settings)]
UowDep = Annotated[HandoverUnitOfWork, Depends(get_uow)]
BlobsDep = Annotated[FileBlobStore, Depends(get_blobs)]
SignerDep = Annotated[ManifestSigner, Depends(get_signer)]
TransferDep = Annotated[TransferContext, Depends(get_transfer_context)]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version you read")
]


CasesRead = Annotated[Principal, Security(current_principal, scopes=["cases:read"])]
CasesWrite = Annotated[Principal, Security(current_principal, scopes=["cases:write"])]
DocumentsRead = Annotated[Principal, Security(current_principal, scopes=["documents:read"])]
DocumentsWrite = Annotated[Principal, Security(current_principal, scopes=["documents:write"])]
HandoversRead = Annotated[Principal, Security(current_principal, scopes=["handovers:read"])]
HandoversWrite = Annotated[Principal, Security(current_principal, scopes=["handovers:write"])]
AuditRead = Annotated[Principal, Security(current_principal, scopes=["audit:read"])]
AnyClient = Annotated[Principal, Security(current_principal)]
