"""Routes for documents: streamed upload, listing, audited download."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from handover_api.api.deps import (
    BlobsDep,
    DocumentsRead,
    DocumentsWrite,
    SettingsDep,
    TransferDep,
    UowDep,
)
from handover_api.api.schemas import DocumentRead
from handover_api.domain.documents import DocumentType
from handover_api.use_cases.documents import (
    UploadDocument,
    open_document,
    register_document,
    store_content,
)
from shared.idempotency import IdempotencyKeyHeader, IdempotencyRequest, respond_once
from shared.pagination import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1", tags=["documents"])

CHUNK = 64 * 1024


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


@router.post(
    "/cases/{case_id}/documents",
    status_code=201,
    summary="Upload a document",
    response_model=DocumentRead,
    responses=problem_responses(401, 403, 404, 413, 415, 422),
)
async def upload_case_document(
    case_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="The document (PDF, image, XML, JSON, text)")],
    type: Annotated[DocumentType, Form(description="Dossier item, see domain.md §2.4")],
    principal: DocumentsWrite,
    uow: UowDep,
    blobs: BlobsDep,
    settings: SettingsDep,
    ctx: TransferDep,
    legal_basis: Annotated[str | None, Form(max_length=100)] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Store a document; sha256 and size are computed while it streams in.

    A handover waiting for this document transfers in the same transaction.
    """
    filename = (file.filename or "document").rsplit("/", 1)[-1][:255]
    async with uow:
        stored = await store_content(
            uow, blobs, principal, case_id, _chunks(file), settings.MAX_UPLOAD_BYTES
        )
    # The key's request hash covers the content's sha256, known only after streaming.
    idem = IdempotencyRequest.of(
        principal.org,
        idempotency_key,
        case_id.bytes,
        type.value.encode(),
        filename.encode(),
        (legal_basis or "").encode(),
        stored.sha256.encode(),
    )
    cmd = UploadDocument(type=type, filename=filename, legal_basis=legal_basis)

    async def create() -> tuple[int, DocumentRead, dict[str, str]]:
        document = await register_document(uow, principal, case_id, cmd, stored, ctx)
        headers = {"Location": f"/v1/documents/{document.id}/content"}
        return 201, DocumentRead.model_validate(document), headers

    return await respond_once(uow, idem, create)


@router.get(
    "/cases/{case_id}/documents",
    summary="List a case's documents",
    response_model=Page[DocumentRead],
    responses=problem_responses(401, 403, 404),
)
async def list_case_documents(
    case_id: uuid.UUID,
    principal: DocumentsRead,
    uow: UowDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DocumentRead]:
    """Document metadata with sha256, for the organisation responsible for the case."""
    position = decode_cursor(cursor)
    async with uow:
        if await uow.cases.get(case_id, principal.org) is None:
            raise NotFound("case not found")
        documents = await uow.documents.list_for_case(
            case_id,
            after=uuid.UUID(str(position["id"])) if position else None,
            limit=limit + 1,
        )
    items = [DocumentRead.model_validate(d) for d in documents[:limit]]
    next_cursor = encode_cursor({"id": str(items[-1].id)}) if len(documents) > limit else None
    return Page[DocumentRead](items=items, next_cursor=next_cursor)


@router.get(
    "/documents/{document_id}/content",
    summary="Download a document",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The content", "content": {"application/octet-stream": {}}},
        **problem_responses(401, 403, 404),
    },
)
async def download_document(
    document_id: uuid.UUID, principal: DocumentsRead, uow: UowDep, blobs: BlobsDep
) -> StreamingResponse:
    """The document's bytes; `Repr-Digest` carries its sha256. Downloads are audited."""
    async with uow:
        document, content = await open_document(uow, blobs, principal, document_id)
        await uow.commit()
    digest = base64.b64encode(bytes.fromhex(document.sha256)).decode()
    return StreamingResponse(
        content,
        media_type=document.media_type,
        headers={
            "Content-Length": str(document.size),
            "ETag": f'"{document.sha256}"',
            "Repr-Digest": f"sha-256=:{digest}:",
            "Content-Disposition": f'attachment; filename="{document.id}"',
        },
    )
