"""Use cases of the handover lifecycle; the transfer happens by itself in `advance`.

Lock order: every use case that touches a handover locks its case row first, then the
handover. The case lock serialises all inputs of a handover (documents, waivers, trigger,
eligibility answer, facts), so whichever input arrives last sees all the others when it
re-evaluates the handover, and two inputs never deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from handover_api.adapters.signing import ManifestSigner
from handover_api.adapters.tables import Case, Document, Handover
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.domain.documents import (
    DocumentType,
    HandoverReason,
    missing_documents,
    travels_with,
)
from handover_api.domain.errors import (
    ActiveHandoverExists,
    InvalidTarget,
    TransitionNotAllowed,
    UnknownOrganisation,
)
from handover_api.domain.lifecycle import (
    CancellationReason,
    EligibilityStatus,
    HandoverStatus,
    Readiness,
    RejectionReason,
    TriggerType,
    assess,
    ensure_transition,
)
from handover_api.domain.manifest import manifest_digest
from handover_api.use_cases import audit
from handover_api.use_cases.outbox import announce
from shared.auth import Principal
from shared.db.base import utcnow
from shared.etag import check_if_match
from shared.events.eligibility import EligibilityDeterminedV1
from shared.events.envelope import Envelope
from shared.events.facts import EligibilityFactsV1
from shared.events.handover import (
    CaseTransferredV1,
    HandoverAcceptedV1,
    HandoverOverdueV1,
    HandoverRejectedV1,
    HandoverRequestedV1,
    IntegrationPlanV1,
    ManifestDocumentV1,
)
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.logging import get_logger
from shared.problems import NotFound

log = get_logger(__name__)
S = HandoverStatus


@dataclass(frozen=True)
class TransferContext:
    """What a transfer needs beyond the database: signing key, URLs, deadlines."""

    signer: ManifestSigner
    public_base_url: str
    accept_deadline: timedelta


@dataclass(frozen=True)
class Trigger:
    """A legal trigger and the day it occurred."""

    type: TriggerType
    occurred_on: date


@dataclass(frozen=True)
class Waiver:
    """A mandatory document the source explicitly waives, with a reason."""

    document_type: DocumentType
    reason: str


@dataclass(frozen=True)
class StartHandover:
    """Input of `start_handover`."""

    reason: HandoverReason
    to_org: str
    transfer_date: date | None = None
    trigger: Trigger | None = None
    waivers: tuple[Waiver, ...] = ()


def _trigger_json(trigger: Trigger) -> dict[str, Any]:
    return {
        "type": trigger.type.value,
        "occurred_on": trigger.occurred_on.isoformat(),
        "recorded_at": utcnow().isoformat(),
    }


async def start_handover(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    cmd: StartHandover,
    ctx: TransferContext,
    answer: Callable[[HandoverView], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Open a handover for a case the caller is responsible for; ask eligibility to decide."""
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        case = await uow.cases.get(case_id, actor.org, for_update=True)
        if case is None:
            raise NotFound("case not found")
        if await uow.handovers.active_for_case(case.id) is not None:
            raise ActiveHandoverExists("the case already has an active handover")
        source = await uow.organisations.get(actor.org)
        target = await uow.organisations.get(cmd.to_org)
        if target is None:
            raise UnknownOrganisation(f"unknown organisation {cmd.to_org!r}")
        if source is None:
            raise UnknownOrganisation("the caller's organisation is not registered with the broker")
        if target.id == source.id:
            raise InvalidTarget("a case cannot be handed over to its own organisation")
        now = utcnow()
        handover = Handover(
            id=uuid.uuid4(),
            case_id=case.id,
            active_case_id=case.id,
            reason=cmd.reason.value,
            from_org=source.id,
            to_org=target.id,
            legal_domain_from=source.legal_domain,
            legal_domain_to=target.legal_domain,
            status=S.PREPARING.value,
            transfer_date=cmd.transfer_date or now.date(),
            trigger=_trigger_json(cmd.trigger) if cmd.trigger else None,
            eligibility_status=EligibilityStatus.PENDING.value,
            eligibility=None,
            waivers=[
                {"document_type": w.document_type.value, "reason": w.reason} for w in cmd.waivers
            ],
            version=1,
            created_at=now,
            updated_at=now,
        )
        uow.handovers.add(handover)
        audit.record(
            uow, actor, case.id, "handover.requested", handover_id=handover.id, to_org=target.id
        )
        await announce(
            uow,
            HandoverRequestedV1(
                case_id=case.id,
                handover_id=handover.id,
                reason=cmd.reason.value,
                from_org=source.id,
                to_org=target.id,
                legal_domain_from=source.legal_domain,
                legal_domain_to=target.legal_domain,
                transfer_date=handover.transfer_date,
                requested_at=now,
                facts=EligibilityFactsV1.model_validate(case.facts),
            ),
            case.id,
        )
        await advance(uow, handover, case, ctx)
        created = answer(await _view(uow, handover))
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    return created


async def _lock(
    uow: HandoverUnitOfWork, handover_id: uuid.UUID, org: str | None
) -> tuple[Handover, Case] | None:
    """The handover and its case, both locked (case first); None if `org` cannot see it.

    `org` None reads on the broker's own behalf (event handlers).
    """

    async def read(for_update: bool) -> Handover | None:
        if org is None:
            return await uow.handovers.get_unscoped(handover_id, for_update=for_update)
        return await uow.handovers.get(handover_id, org, for_update=for_update)

    found = await read(for_update=False)
    if found is None:
        return None
    case = await uow.cases.get_unscoped(found.case_id, for_update=True)
    if case is None:  # the foreign key makes this impossible short of data corruption
        raise LookupError(f"case of handover {handover_id} is missing")
    # Read again under the case lock: another input may have changed it in the meantime.
    handover = await read(for_update=True)
    if handover is None:
        return None
    return handover, case


async def _owned_pre_transfer(
    uow: HandoverUnitOfWork, actor: Principal, handover_id: uuid.UUID, if_match: str | None
) -> tuple[Handover, Case]:
    locked = await _lock(uow, handover_id, actor.org)
    if locked is None:
        raise NotFound("handover not found")
    handover, case = locked
    if handover.from_org != actor.org:
        raise TransitionNotAllowed("only the source organisation can do this")
    if if_match is not None:
        check_if_match(if_match, handover.version)
    return handover, case


async def record_trigger(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    trigger: Trigger,
    if_match: str | None,
    ctx: TransferContext,
) -> HandoverView:
    """Record the legal trigger (e.g. SGB II application filed); may complete the transfer."""
    async with uow:
        handover, case = await _owned_pre_transfer(uow, actor, handover_id, if_match)
        if S(handover.status) not in (S.PREPARING, S.AWAITING_DOCUMENTS):
            raise TransitionNotAllowed(f"a handover in status {handover.status} takes no trigger")
        handover.trigger = _trigger_json(trigger)
        _touch(handover)
        audit.record(uow, actor, case.id, "handover.trigger_recorded", trigger=trigger.type.value)
        await advance(uow, handover, case, ctx)
        view = await _view(uow, handover)
        await uow.commit()
    return view


async def waive_document(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    waiver: Waiver,
    if_match: str | None,
    ctx: TransferContext,
) -> HandoverView:
    """Waive one mandatory document with a reason; may complete the transfer."""
    async with uow:
        handover, case = await _owned_pre_transfer(uow, actor, handover_id, if_match)
        if S(handover.status) not in (S.PREPARING, S.AWAITING_DOCUMENTS):
            raise TransitionNotAllowed(f"a handover in status {handover.status} takes no waiver")
        others = [w for w in handover.waivers if w["document_type"] != waiver.document_type.value]
        handover.waivers = [
            *others,
            {"document_type": waiver.document_type.value, "reason": waiver.reason},
        ]
        _touch(handover)
        audit.record(
            uow,
            actor,
            case.id,
            "handover.document_waived",
            document_type=waiver.document_type.value,
        )
        await advance(uow, handover, case, ctx)
        view = await _view(uow, handover)
        await uow.commit()
    return view


async def apply_eligibility(
    uow: HandoverUnitOfWork,
    event: Envelope[EligibilityDeterminedV1],
    ctx: TransferContext,
) -> None:
    """Record eligibility's decision on a handover; may complete or stop it."""
    data = event.data
    if data.handover_id is None:
        return
    locked = await _lock(uow, data.handover_id, None)
    if locked is None:
        return
    handover, case = locked
    if S(handover.status) not in (S.PREPARING, S.AWAITING_DOCUMENTS):
        return
    confirmed = (
        data.target_confirmed
        if data.target_confirmed is not None
        else data.legal_domain == handover.legal_domain_to
    )
    handover.eligibility_status = (
        EligibilityStatus.CONFIRMED if confirmed else EligibilityStatus.DENIED
    ).value
    handover.eligibility = {
        "check_id": str(data.check_id),
        "legal_domain": data.legal_domain,
        "rules_version": data.rules_version,
        "reasons": [r.model_dump(mode="json") for r in data.reasons],
        "warnings": [w.model_dump(mode="json") for w in data.warnings],
        "key_dates": data.key_dates.model_dump(mode="json"),
        "determined_at": data.determined_at.isoformat(),
    }
    _touch(handover)
    audit.record(
        uow,
        audit.SYSTEM,
        case.id,
        "handover.eligibility_recorded",
        handover_id=handover.id,
        status=handover.eligibility_status,
    )
    await advance(uow, handover, case, ctx)


async def reevaluate_handover(uow: HandoverUnitOfWork, case: Case, ctx: TransferContext) -> None:
    """An input of the case changed (the caller holds its lock): its handover may move on."""
    handover = await uow.handovers.active_for_case(case.id, for_update=True)
    if handover is not None and S(handover.status) in (S.PREPARING, S.AWAITING_DOCUMENTS):
        await advance(uow, handover, case, ctx)


def readiness_of(handover: Handover, present: Iterable[DocumentType]) -> Readiness:
    """Where a handover stands given the document types its case has."""
    return assess(
        trigger_recorded=handover.trigger is not None,
        eligibility=EligibilityStatus(handover.eligibility_status),
        missing=tuple(
            missing_documents(
                HandoverReason(handover.reason),
                present,
                [DocumentType(w["document_type"]) for w in handover.waivers],
            )
        ),
    )


Blocking = tuple[list[DocumentType], list[str]]


async def blocking_states(
    uow: HandoverUnitOfWork, handovers: Sequence[Handover]
) -> dict[uuid.UUID, Blocking]:
    """What still blocks each pre-transfer handover; one documents query for all of them."""
    waiting = [h for h in handovers if S(h.status) in (S.PREPARING, S.AWAITING_DOCUMENTS)]
    types = await uow.documents.types_by_case({h.case_id for h in waiting})
    states: dict[uuid.UUID, Blocking] = {h.id: ([], []) for h in handovers}
    for handover in waiting:
        readiness = readiness_of(handover, (DocumentType(t) for t in types[handover.case_id]))
        states[handover.id] = (list(readiness.missing_documents), list(readiness.blocking))
    return states


@dataclass(frozen=True)
class HandoverView:
    """A handover as its change leaves it, with what still blocks it."""

    handover: Handover
    blocking: Blocking


async def _view(uow: HandoverUnitOfWork, handover: Handover) -> HandoverView:
    """The changed handover and its blocking state, read in the change's transaction."""
    await uow.session.flush()
    states = await blocking_states(uow, [handover])
    return HandoverView(handover, states[handover.id])


async def advance(
    uow: HandoverUnitOfWork, handover: Handover, case: Case, ctx: TransferContext
) -> None:
    """Move a pre-transfer handover to the status its conditions allow."""
    documents = list(await uow.documents.list_for_case(handover.case_id))
    readiness = readiness_of(handover, (DocumentType(d.type) for d in documents))
    current = S(handover.status)
    if readiness.status == current:
        return
    ensure_transition(current, readiness.status)
    handover.status = readiness.status.value
    _touch(handover)
    if readiness.status is S.INELIGIBLE:
        handover.active_case_id = None
        audit.record(uow, audit.SYSTEM, case.id, "handover.ineligible", handover_id=handover.id)
    elif readiness.status is S.TRANSFERRED:
        reason = HandoverReason(handover.reason)
        released = [d for d in documents if travels_with(reason, DocumentType(d.type))]
        await _transfer(uow, handover, case, released, ctx)


async def _transfer(
    uow: HandoverUnitOfWork,
    handover: Handover,
    case: Case,
    documents: list[Document],
    ctx: TransferContext,
) -> None:
    now = utcnow()
    base = ctx.public_base_url.rstrip("/")
    manifest_docs = [
        ManifestDocumentV1(
            document_id=d.id,
            type=d.type,
            sha256=d.sha256,
            size=d.size,
            media_type=d.media_type,
            url=f"{base}/v1/documents/{d.id}/content",
        )
        for d in documents
    ]
    plan = (
        IntegrationPlanV1.model_validate(case.integration_plan)
        if case.integration_plan is not None
        else None
    )
    plan_json = plan.model_dump(mode="json") if plan is not None else None
    docs_json = [d.model_dump(mode="json") for d in manifest_docs]
    digest = manifest_digest(
        handover_id=str(handover.id),
        case_id=str(case.id),
        from_org=handover.from_org,
        to_org=handover.to_org,
        documents=docs_json,
        integration_plan=plan_json,
    )
    signature = ctx.signer.sign(digest, str(handover.id))
    handover.manifest = {
        "documents": docs_json,
        "integration_plan": plan_json,
        "sha256": digest,
    }
    handover.manifest_signature = signature
    handover.transferred_at = now
    handover.due_at = now + ctx.accept_deadline
    # From now on the receiving organisation is responsible; the source keeps read-only
    # access to the handover (not to later changes of the case).
    case.owner_org = handover.to_org
    case.version += 1
    case.updated_at = now
    audit.record(
        uow,
        audit.SYSTEM,
        case.id,
        "handover.transferred",
        handover_id=handover.id,
        to_org=handover.to_org,
        documents=len(manifest_docs),
        manifest_sha256=digest,
    )
    await announce(
        uow,
        CaseTransferredV1(
            case_id=case.id,
            handover_id=handover.id,
            from_org=handover.from_org,
            to_org=handover.to_org,
            reason=handover.reason,
            legal_domain_from=handover.legal_domain_from,
            legal_domain_to=handover.legal_domain_to,
            transferred_at=now,
            integration_plan=plan,
            documents=tuple(manifest_docs),
            manifest_signature=signature,
            manifest_keys_url=f"{base}/v1/manifest-keys",
            responsible_from=handover.transfer_date,
        ),
        case.id,
    )
    log.info("handover.transfer.completed", handover_id=str(handover.id), case_id=str(case.id))


def _touch(handover: Handover) -> None:
    handover.version += 1
    handover.updated_at = utcnow()


async def _incoming(
    uow: HandoverUnitOfWork, actor: Principal, handover_id: uuid.UUID, if_match: str | None
) -> tuple[Handover, Case]:
    locked = await _lock(uow, handover_id, actor.org)
    if locked is None:
        raise NotFound("handover not found")
    handover, case = locked
    if handover.to_org != actor.org:
        raise TransitionNotAllowed("only the receiving organisation can do this")
    if if_match is not None:
        check_if_match(if_match, handover.version)
    return handover, case


async def accept_handover(
    uow: HandoverUnitOfWork, actor: Principal, handover_id: uuid.UUID, if_match: str | None
) -> HandoverView:
    """The receiver confirms and continues the case."""
    async with uow:
        handover, _ = await _incoming(uow, actor, handover_id, if_match)
        ensure_transition(S(handover.status), S.ACCEPTED)
        now = utcnow()
        handover.status = S.ACCEPTED.value
        handover.accepted_at = now
        _touch(handover)
        audit.record(uow, actor, handover.case_id, "handover.accepted", handover_id=handover.id)
        await announce(
            uow,
            HandoverAcceptedV1(
                case_id=handover.case_id,
                handover_id=handover.id,
                from_org=handover.from_org,
                to_org=handover.to_org,
                accepted_at=now,
            ),
            handover.case_id,
        )
        view = await _view(uow, handover)
        await uow.commit()
    return view


async def complete_handover(
    uow: HandoverUnitOfWork, actor: Principal, handover_id: uuid.UUID, if_match: str | None
) -> HandoverView:
    """The receiver has continued the plan; the source's read access ends."""
    async with uow:
        handover, _ = await _incoming(uow, actor, handover_id, if_match)
        ensure_transition(S(handover.status), S.COMPLETED)
        handover.status = S.COMPLETED.value
        handover.completed_at = utcnow()
        handover.active_case_id = None
        _touch(handover)
        audit.record(uow, actor, handover.case_id, "handover.completed", handover_id=handover.id)
        view = await _view(uow, handover)
        await uow.commit()
    return view


async def reject_handover(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    reason: RejectionReason,
    if_match: str | None,
) -> HandoverView:
    """The receiver returns the case to the source with a reason code."""
    async with uow:
        handover, case = await _incoming(uow, actor, handover_id, if_match)
        ensure_transition(S(handover.status), S.REJECTED)
        now = utcnow()
        handover.status = S.REJECTED.value
        handover.rejected_at = now
        handover.rejection_reason = reason.value
        handover.active_case_id = None
        _touch(handover)
        case.owner_org = handover.from_org
        case.version += 1
        case.updated_at = now
        audit.record(
            uow, actor, case.id, "handover.rejected", handover_id=handover.id, reason=reason.value
        )
        await announce(
            uow,
            HandoverRejectedV1(
                case_id=case.id,
                handover_id=handover.id,
                from_org=handover.from_org,
                to_org=handover.to_org,
                reason_code=reason.value,
                rejected_at=now,
            ),
            case.id,
        )
        view = await _view(uow, handover)
        await uow.commit()
    return view


async def cancel_handover(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    reason: CancellationReason,
    if_match: str | None,
) -> HandoverView:
    """The source withdraws a handover before the transfer."""
    async with uow:
        handover, case = await _owned_pre_transfer(uow, actor, handover_id, if_match)
        ensure_transition(S(handover.status), S.CANCELLED)
        handover.status = S.CANCELLED.value
        handover.cancelled_at = utcnow()
        handover.cancellation_reason = reason.value
        handover.active_case_id = None
        _touch(handover)
        audit.record(
            uow, actor, case.id, "handover.cancelled", handover_id=handover.id, reason=reason.value
        )
        view = await _view(uow, handover)
        await uow.commit()
    return view


async def escalate_overdue(uow: HandoverUnitOfWork, now: datetime) -> int:
    """Publish handover.overdue once for every transferred handover past its deadline."""
    handovers = await uow.handovers.due_for_overdue(now)
    for handover in handovers:
        handover.overdue_at = now
        audit.record(
            uow, audit.SYSTEM, handover.case_id, "handover.overdue", handover_id=handover.id
        )
        await announce(
            uow,
            HandoverOverdueV1(
                case_id=handover.case_id,
                handover_id=handover.id,
                from_org=handover.from_org,
                to_org=handover.to_org,
                due_at=handover.due_at or now,
            ),
            handover.case_id,
        )
    return len(handovers)
