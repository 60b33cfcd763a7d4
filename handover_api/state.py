"""The typed state of handover_api, built in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from handover_api.adapters.blobstore import FileBlobStore
from handover_api.adapters.signing import ManifestSigner
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.settings import HandoverSettings
from handover_api.use_cases.handovers import TransferContext
from shared.web import ServiceState


@dataclass(frozen=True)
class HandoverState(ServiceState[HandoverSettings, HandoverUnitOfWork]):
    """Runtime, settings and UoW factory, plus the blob store, signer and transfer context."""

    blobs: FileBlobStore
    signer: ManifestSigner
    transfer: TransferContext
