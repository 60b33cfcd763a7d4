"""Use cases for documents: streamed upload with sha256, listing, audited download."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from handover_api.adapters.blobstore import BlobStore, BlobTooLarge
from handover_api.adapters.tables import Document
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.domain.documents import Consent, DocumentRelease, DocumentType, is_special
from handover_api.domain.errors import DocumentRejected, TransitionNotAllowed
from handover_api.domain.media import sniff_media_type
from handover_api.use_cases import audit
from handover_api.use_cases.handovers import TransferContext, reevaluate_handover
from shared.auth import Principal
from shared.db.base import utcnow
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.problems import NotFound, PayloadTooLarge, UnsupportedMediaType


@dataclass(frozen=True)
class UploadDocument:
    """Metadata sent with an upload."""

    type: DocumentType
    filename: str
    legal_basis: str | None = None
    special: bool = False


@dataclass(frozen=True)
class ReleaseDocument:
    """Why a special-category document may leave the source: a legal basis or a consent."""

    legal_basis: str | None = None
    consent: Consent | None = None


@dataclass(frozen=True)
class StoredContent:
    """Uploaded bytes, already in the blob store, with what was learnt while streaming."""

    sha256: str
    size: int
    media_type: str


async def list_documents(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[Document]:
    """Up to `limit` documents of a case the caller is responsible for, after `after`."""
    async with uow:
        if await uow.cases.get(case_id, actor.org) is None:
            raise NotFound("case not found")
        await audit.record_read(uow, actor, [case_id], "documents.listed")
        # Special-category documents withheld from the caller are not listed at all.
        return await uow.documents.list_for_case(
            case_id, after=after, limit=limit, visible_to=actor.org
        )


async def read_document(
    uow: HandoverUnitOfWork, actor: Principal, document_id: uuid.UUID
) -> Document:
    """A document's metadata, if the caller is responsible for its case and may see it."""
    async with uow:
        document = await uow.documents.get(document_id, actor.org)
        if document is None:
            raise NotFound("document not found")
        return document


async def store_content(
    uow: HandoverUnitOfWork,
    blobs: BlobStore,
    actor: Principal,
    case_id: uuid.UUID,
    content: AsyncIterable[bytes],
    max_bytes: int,
) -> StoredContent:
    """Stream the content into the blob store (sha256 and size computed on the way)."""
    # No transaction stays open while the content streams in.
    async with uow:
        if await uow.cases.get(case_id, actor.org) is None:
            raise NotFound("case not found")
    try:
        blob = await blobs.put(content, max_bytes)
    except BlobTooLarge as exc:
        raise PayloadTooLarge(str(exc)) from exc
    if blob.size == 0:
        raise DocumentRejected("the document is empty")
    media_type = sniff_media_type(blob.head)
    if media_type is None:
        raise UnsupportedMediaType("content is not PDF, PNG, JPEG, TIFF, XML, JSON or text")
    return StoredContent(sha256=blob.sha256, size=blob.size, media_type=media_type)


async def register_document(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    cmd: UploadDocument,
    content: StoredContent,
    ctx: TransferContext,
    answer: Callable[[Document], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Record stored content as a document of the case; a waiting handover may transfer now.

    A blob whose registration fails stays orphaned, which is harmless: it is
    content-addressed and reused by the next upload of the same bytes.
    """
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        case = await uow.cases.get(case_id, actor.org, for_update=True)
        if case is None:  # e.g. handed over while the upload was streaming
            raise NotFound("case not found")
        document = Document(
            id=uuid.uuid4(),
            case_id=case.id,
            type=cmd.type.value,
            filename=cmd.filename,
            media_type=content.media_type,
            size=content.size,
            sha256=content.sha256,
            special_category=is_special(cmd.type, cmd.special),
            legal_basis=cmd.legal_basis,
            uploaded_by_org=actor.org,
            uploaded_at=utcnow(),
        )
        uow.documents.add(document)
        await uow.session.flush()
        audit.record(
            uow, actor, case.id, "document.uploaded", document_id=document.id, type=document.type
        )
        await reevaluate_handover(uow, case, ctx)
        created = answer(document)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    return created


async def open_document(
    uow: HandoverUnitOfWork, blobs: BlobStore, actor: Principal, document_id: uuid.UUID
) -> tuple[Document, AsyncIterator[bytes]]:
    """The document and a stream of its content; the download is audited."""
    async with uow:
        document = await uow.documents.get(document_id, actor.org)
        if document is None:
            raise NotFound("document not found")
        audit.record(uow, actor, document.case_id, "document.downloaded", document_id=document.id)
        await uow.commit()
    return document, blobs.open(document.sha256)


async def release_document(
    uow: HandoverUnitOfWork,
    actor: Principal,
    document_id: uuid.UUID,
    cmd: ReleaseDocument,
    ctx: TransferContext,
) -> Document:
    """Record the legal basis or consent under which a special-category document may travel.

    Only the organisation that uploaded it and still holds the case may release it; the
    release is audited, and a handover that waited for it may transfer in the same step.
    """
    if (cmd.legal_basis is None) == (cmd.consent is None):
        raise DocumentRejected("give either a legal basis or a consent")
    async with uow:
        found = await uow.documents.get(document_id, actor.org)
        if found is None or found.uploaded_by_org != actor.org:
            raise NotFound("document not found")
        case = await uow.cases.get(found.case_id, actor.org, for_update=True)
        document = await uow.documents.get(document_id, actor.org)
        if case is None or document is None:  # handed over meanwhile
            raise NotFound("document not found")
        if not document.special_category:
            raise DocumentRejected("only special-category documents need a release")
        if document.release is not None or document.legal_basis is not None:
            raise TransitionNotAllowed("the document's release is already recorded")
        document.release = DocumentRelease(
            released_by_org=actor.org,
            released_at=utcnow(),
            legal_basis=cmd.legal_basis,
            consent=cmd.consent,
        )
        # The consent's giver is a role, not a name; its free-text scope stays off the trail.
        basis = (
            {"legal_basis": cmd.legal_basis}
            if cmd.consent is None
            else {
                "consent_given_by": cmd.consent.given_by,
                "consent_given_at": cmd.consent.given_at.isoformat(),
            }
        )
        audit.record(
            uow,
            actor,
            case.id,
            "document.released",
            document_id=document.id,
            type=document.type,
            **basis,
        )
        await uow.session.flush()
        await reevaluate_handover(uow, case, ctx)
        await uow.commit()
    return document
