"""Routes for documents: streamed upload, listing, audited download."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from handover_api.adapters.multipart import MultipartError, read_upload
from handover_api.api.deps import (
    BlobsDep,
    DocumentsRead,
    DocumentsWrite,
    SettingsDep,
    TransferDep,
    UowDep,
)
from handover_api.api.schemas import DocumentRead, DocumentReleaseIn, UploadFields
from handover_api.domain.documents import DocumentType
from handover_api.use_cases.documents import (
    ReleaseDocument,
    StoredContent,
    UploadDocument,
    list_documents,
    open_document,
    read_document,
    register_document,
    release_document,
    store_content,
)
from shared.idempotency import Answer, IdempotencyRequest
from shared.pagination import CursorQuery, LimitQuery, Page, id_cursor, next_page, uuid_after
from shared.problems import problem_responses
from shared.strict import CleanText
from shared.web import IdempotencyKeyHeader, json_response

router = APIRouter(prefix="/v1", tags=["documents"])
FILENAME = TypeAdapter(CleanText)


class UploadFingerprint(BaseModel):
    """What an upload's Idempotency-Key covers: the form fields and the content's sha256."""

    type: DocumentType
    filename: str
    legal_basis: str | None
    sha256: str
    special: bool = False


UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "type"],
                "properties": {
                    "file": {
                        "type": "string",
                        "contentMediaType": "application/octet-stream",
                        "description": "The document (PDF, PNG, JPEG, TIFF, XML, JSON, text)",
                    },
                    "type": {
                        "type": "string",
                        "enum": [t.value for t in DocumentType],
                        "description": "Dossier item (domain.md §2.4)",
                    },
                    "legal_basis": {
                        "type": "string",
                        "maxLength": 100,
                        "description": "Legal basis for disclosing a special-category "
                        "document (e.g. § 76 Abs. 2 Nr. 1 SGB X); without it, such a "
                        "document stays with the source until released",
                    },
                    "special": {
                        "type": "boolean",
                        "default": False,
                        "description": "Marks the document as special category "
                        "(Art. 9 GDPR, § 76 SGB X) whatever its type",
                    },
                },
            }
        }
    },
}


@router.post(
    "/cases/{case_id}/documents",
    status_code=201,
    summary="Upload a document",
    response_model=DocumentRead,
    responses=problem_responses(401, 403, 404, 413, 415, 422),
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_case_document(
    case_id: uuid.UUID,
    request: Request,
    principal: DocumentsWrite,
    uow: UowDep,
    blobs: BlobsDep,
    settings: SettingsDep,
    ctx: TransferDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Store a document; sha256, size and media type are taken while the bytes stream in.

    A handover waiting for this document transfers in the same transaction.
    """

    async def store(chunks: AsyncIterator[bytes]) -> StoredContent:
        return await store_content(
            uow, blobs, principal, case_id, chunks, settings.MAX_UPLOAD_BYTES
        )

    try:
        form, stored = await read_upload(
            request.headers.get("content-type", ""), request.stream(), store
        )
        fields = UploadFields.model_validate(form.fields)
    except MultipartError as exc:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": str(exc), "type": "multipart"}]
        ) from exc
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]
        ) from exc
    try:
        filename = FILENAME.validate_python((form.filename or "document").rsplit("/", 1)[-1])
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", "file", "filename")} for e in exc.errors(include_input=False)]
        ) from exc
    filename = filename[:255]
    # The key covers the form fields and the content's sha256, known only after streaming.
    fingerprint = UploadFingerprint(
        type=fields.type,
        filename=filename,
        legal_basis=fields.legal_basis,
        sha256=stored.sha256,
        special=fields.special,
    )
    idem = IdempotencyRequest.for_body(
        principal.org, idempotency_key, f"upload_case_document {case_id}", fingerprint
    )
    cmd = UploadDocument(
        type=fields.type, filename=filename, legal_basis=fields.legal_basis, special=fields.special
    )

    def answer(document: object) -> Answer:
        read = DocumentRead.model_validate(document)
        headers = {"Location": f"/v1/documents/{read.id}/content"}
        return Answer(201, read.model_dump_json(), headers)

    return json_response(
        await register_document(uow, principal, case_id, cmd, stored, ctx, answer, idem)
    )


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
    rows = await list_documents(uow, principal, case_id, uuid_after(cursor), limit + 1)
    page, next_cursor = next_page(rows, limit, lambda d: id_cursor(d.id))
    return Page[DocumentRead](
        items=[DocumentRead.model_validate(d) for d in page], next_cursor=next_cursor
    )


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
    document, content = await open_document(uow, blobs, principal, document_id)
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


@router.get(
    "/documents/{document_id}",
    summary="Read a document's metadata",
    response_model=DocumentRead,
    responses=problem_responses(401, 403, 404),
)
async def get_document(
    document_id: uuid.UUID, principal: DocumentsRead, uow: UowDep
) -> DocumentRead:
    """Metadata with sha256; a special-category document withheld from the caller is 404."""
    return DocumentRead.model_validate(await read_document(uow, principal, document_id))


@router.post(
    "/documents/{document_id}/release",
    summary="Release a special-category document",
    response_model=DocumentRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def release_special_document(
    document_id: uuid.UUID,
    body: DocumentReleaseIn,
    principal: DocumentsWrite,
    uow: UowDep,
    ctx: TransferDep,
) -> DocumentRead:
    """Record the legal basis or consent under which the document may go to the receiver.

    Only the uploading organisation, while it holds the case. The release is audited; a
    handover that waited for it transfers in the same step.
    """
    cmd = ReleaseDocument(
        legal_basis=body.legal_basis,
        consent=body.consent.to_consent() if body.consent is not None else None,
    )
    document = await release_document(uow, principal, document_id, cmd, ctx)
    return DocumentRead.model_validate(document)
