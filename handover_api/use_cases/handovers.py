"""Use cases of the handover lifecycle; the transfer happens by itself in `advance`.

Lock order: every use case that touches a handover locks its case row first, then the
handover. The case lock serialises all inputs of a handover (documents, waivers, trigger,
eligibility answer, facts), so whichever input arrives last sees all the others when it
re-evaluates the handover, and two inputs never deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import select

from handover_api.adapters.metrics import observe_transfer
from handover_api.adapters.repositories import KnownOrganisation
from handover_api.adapters.signing import ManifestSigner
from handover_api.adapters.tables import Case, Document, Handover
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.domain.competence import ServingOrganisation, ensure_local_competence
from handover_api.domain.documents import DocumentType, DossierTypes, HandoverReason, withheld_types
from handover_api.domain.errors import (
    ActiveHandoverExists,
    HandoverNotTransferred,
    InvalidTarget,
    JointCaseActive,
    TransitionNotAllowed,
    UnknownOrganisation,
)
from handover_api.domain.handover import (
    EligibilityRecord,
    Manifest,
    RecordedTrigger,
    Release,
    Trigger,
    Waiver,
)
from handover_api.domain.joint import JointEndReason
from handover_api.domain.lifecycle import (
    Blocker,
    CancellationReason,
    EligibilityStatus,
    HandoverStatus,
    Readiness,
    RejectionReason,
    describe,
)
from handover_api.domain.manifest import manifest_digest
from handover_api.use_cases import audit
from handover_api.use_cases.outbox import announce
from shared.auth import Principal
from shared.db.base import utcnow
from shared.etag import check_if_match
from shared.events.eligibility import EligibilityDeterminedV1
from shared.events.envelope import Envelope
from shared.events.handover import HandoverRequestedV1, ManifestDocumentV1
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
class StartHandover:
    """Input of `start_handover`."""

    reason: HandoverReason
    to_org: str
    transfer_date: date | None = None
    trigger: Trigger | None = None
    waivers: tuple[Waiver, ...] = ()


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
        locked = await uow.cases.lock_for_handover(case_id, actor.org)
        if locked is None:
            raise NotFound("case not found")
        case, has_active_handover = locked
        if has_active_handover:
            raise ActiveHandoverExists("the case already has an active handover")
        if case.joint is not None:
            raise JointCaseActive(
                f"the case is worked jointly with {case.joint.partner_org}: "
                "end the joint case first (POST /v1/cases/{case_id}/joint/end)"
            )
        source = await uow.organisations.get(actor.org)
        target = await uow.organisations.get(cmd.to_org)
        if target is None:
            raise UnknownOrganisation(f"unknown organisation {cmd.to_org!r}")
        if source is None:
            raise UnknownOrganisation("the caller's organisation is not registered with the broker")
        if target.id == source.id:
            raise InvalidTarget("a case cannot be handed over to its own organisation")
        ensure_local_competence(
            _serving(target),
            case.municipality,
            [_serving(o) for o in await uow.organisations.known()],
        )
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
            # A refugee handover without a date moves on the first day of the Jobcenter's
            # responsibility as eligibility_api computes it (see `_decide`).
            transfer_date_from_eligibility=(
                cmd.transfer_date is None and cmd.reason is HandoverReason.ASYLUM_RECOGNISED
            ),
            trigger=(
                RecordedTrigger(cmd.trigger.type, cmd.trigger.occurred_on, now)
                if cmd.trigger
                else None
            ),
            eligibility_status=EligibilityStatus.PENDING.value,
            eligibility=None,
            waivers=cmd.waivers,
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
                facts=case.facts,
            ),
            case.id,
        )
        present = await advance(uow, handover, case, ctx)
        await _save(uow, actor, handover)
        created = answer(_view_of(handover, present))
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


async def apply_eligibility(
    uow: HandoverUnitOfWork,
    event: Envelope[EligibilityDeterminedV1],
    ctx: TransferContext,
) -> None:
    """Record eligibility's decision on a handover; may complete or stop it."""
    data = event.data
    if data.handover_id is None:
        await _redecide_for_case(uow, data, ctx)
        return
    locked = await _lock(uow, data.handover_id, None)
    if locked is None:
        return
    handover, case = locked
    await _decide(uow, handover, case, data, ctx)


async def _redecide_for_case(
    uow: HandoverUnitOfWork, data: EligibilityDeterminedV1, ctx: TransferContext
) -> None:
    """A case-level answer (the facts changed) re-decides the case's pending or ineligible
    handover, where it speaks for the handover's transfer date.

    The case-level answer is as of the day the facts arrived: it decides a handover whose
    transfer date has come by then, never one that moves responsibility later. A handover
    dated by eligibility takes the answer's first day of responsibility (see `_decide`).
    """
    case = await uow.cases.get_unscoped(data.case_id, for_update=True)
    if case is None:
        return
    handover = await uow.handovers.active_for_case(case.id, for_update=True)
    if handover is None:
        handover = await _latest_ineligible(uow, case.id)
    if handover is None or not handover.before_transfer:
        return
    if not handover.transfer_date_from_eligibility and handover.transfer_date > data.as_of:
        return
    kept = handover.eligibility
    if kept is not None and kept.determined_at >= data.determined_at:
        return  # an older answer (e.g. of the facts at registration) arriving late
    await _decide(uow, handover, case, data, ctx)


async def _latest_ineligible(uow: HandoverUnitOfWork, case_id: uuid.UUID) -> Handover | None:
    """The case's latest handover if it is `ineligible`, locked (the case lock is held).

    Only the latest: one cancelled or completed after it closed the matter.
    """
    statement = (
        select(Handover)
        .where(Handover.case_id == case_id)
        .order_by(Handover.created_at.desc(), Handover.id.desc())
        .limit(1)
        .with_for_update()
    )
    found: Handover | None = (await uow.session.execute(statement)).scalar_one_or_none()
    return found if found is not None and found.current is S.INELIGIBLE else None


async def _decide(
    uow: HandoverUnitOfWork,
    handover: Handover,
    case: Case,
    data: EligibilityDeterminedV1,
    ctx: TransferContext,
) -> None:
    """Keep an eligibility answer on the handover and move it as its conditions allow."""
    confirmed = (
        data.target_confirmed
        if data.target_confirmed is not None
        else data.legal_domain == handover.legal_domain_to
    )
    record = EligibilityRecord(
        check_id=data.check_id,
        legal_domain=data.legal_domain,
        rules_version=data.rules_version,
        reasons=data.reasons,
        warnings=data.warnings,
        key_dates=data.key_dates,
        determined_at=data.determined_at,
    )
    if handover.transfer_date_from_eligibility:
        first_day = data.key_dates.sgb2_start_date
        if first_day is not None and handover.take_transfer_date(first_day, utcnow()):
            # The answer was for another day: ask again for the first day of responsibility.
            await request_decision(uow, handover, case)
            await advance(uow, handover, case, ctx)
            await _save(uow, audit.SYSTEM, handover)
            return
        if data.as_of != handover.transfer_date:
            return  # an answer for a day that is no longer the transfer date
        if not confirmed and data.legal_domain == "ASYLBLG" and first_day is None:
            # Still under AsylbLG and no first day of SGB II known yet (e.g. the decision
            # is not final): the handover waits for the facts instead of ending.
            log.info("handover.eligibility.awaits_first_day", handover_id=str(handover.id))
            return
    if handover.record_eligibility(record, confirmed, utcnow()):
        await advance(uow, handover, case, ctx)
        await _save(uow, audit.SYSTEM, handover)


async def request_decision(uow: HandoverUnitOfWork, handover: Handover, case: Case) -> None:
    """Stage handover.requested: eligibility_api decides as of the handover's transfer date."""
    await announce(
        uow,
        HandoverRequestedV1(
            case_id=case.id,
            handover_id=handover.id,
            reason=handover.reason,
            from_org=handover.from_org,
            to_org=handover.to_org,
            legal_domain_from=handover.legal_domain_from,
            legal_domain_to=handover.legal_domain_to,
            transfer_date=handover.transfer_date,
            requested_at=utcnow(),
            facts=case.facts,
        ),
        case.id,
    )


async def reevaluate_handover(uow: HandoverUnitOfWork, case: Case, ctx: TransferContext) -> None:
    """An input of the case changed (the caller holds its lock): its handover may move on."""
    handover = await uow.handovers.active_for_case(case.id, for_update=True)
    if handover is not None and handover.before_transfer:
        await advance(uow, handover, case, ctx)
        await _save(uow, audit.SYSTEM, handover)


async def _save(uow: HandoverUnitOfWork, actor: Principal, handover: Handover) -> None:
    """Write the audit entries and stage the events of the handover's recorded changes."""
    for change in handover.pull_changes():
        by = audit.SYSTEM if change.by_broker else actor
        audit.record(uow, by, handover.case_id, change.action, **change.details)
        if change.event is not None:
            await announce(uow, change.event, handover.case_id)


Blocking = tuple[list[DocumentType], list[str]]


async def blocking_states(
    uow: HandoverUnitOfWork, handovers: Sequence[Handover]
) -> dict[uuid.UUID, Blocking]:
    """What still blocks each pre-transfer handover; one documents query for all of them."""
    waiting = [h for h in handovers if h.before_transfer]
    types = await uow.documents.types_by_case({h.case_id for h in waiting})
    return {h.id: _blocking(h, types.get(h.case_id, DossierTypes())) for h in handovers}


def _readiness(handover: Handover, present: DossierTypes) -> Readiness | None:
    """Where `handover` stands before the transfer; None once it is past.

    A mandatory special-category document counts as present but blocks the transfer
    until its release is recorded or it is waived (§ 76 SGB X).
    """
    if not handover.before_transfer:
        return None
    waived = [w.document_type for w in handover.waivers]
    return handover.readiness(
        (DocumentType(t) for t in present.present),
        unreleased=present.unreleased(HandoverReason(handover.reason), waived),
        today=utcnow().date(),
    )


def _blocking(handover: Handover, present: DossierTypes) -> Blocking:
    """What still blocks `handover` given the document types of its case."""
    readiness = _readiness(handover, present)
    if readiness is None:
        return ([], [])
    return (list(readiness.missing_documents), list(readiness.blocking))


def _make_view(handover: Handover, present: DossierTypes) -> HandoverView:
    readiness = _readiness(handover, present)
    if readiness is None:
        return HandoverView(handover, ([], []))
    return HandoverView(
        handover,
        (list(readiness.missing_documents), list(readiness.blocking)),
        readiness.blockers,
    )


@dataclass(frozen=True)
class HandoverView:
    """A handover as its change leaves it, with what still blocks it (codes and texts)."""

    handover: Handover
    blocking: Blocking
    blockers: tuple[Blocker, ...] = ()


async def read_handover(
    uow: HandoverUnitOfWork, actor: Principal, handover_id: uuid.UUID
) -> HandoverView:
    """A handover the caller may see, with what still blocks it."""
    async with uow:
        handover = await uow.handovers.get(handover_id, actor.org)
        if handover is None:
            raise NotFound("handover not found")
        await audit.record_read(
            uow, actor, [handover.case_id], "handover.read", handover_id=handover_id
        )
        return await _view(uow, handover)


async def list_handovers(
    uow: HandoverUnitOfWork,
    actor: Principal,
    *,
    direction: str | None,
    status: HandoverStatus | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[HandoverView]:
    """Up to `limit` handovers the caller may see, oldest id first, each with its blocking."""
    async with uow:
        rows = await uow.handovers.list(
            actor.org,
            direction=direction,
            status=status.value if status else None,
            after=after,
            limit=limit,
        )
        types = await uow.documents.types_by_case({h.case_id for h in rows if h.before_transfer})
        await audit.record_read(uow, actor, [h.case_id for h in rows], "handovers.listed")
    return [_make_view(h, types.get(h.case_id, DossierTypes())) for h in rows]


async def _view(uow: HandoverUnitOfWork, handover: Handover) -> HandoverView:
    """The changed handover and its blocking state, read in the change's transaction."""
    await uow.session.flush()
    types = await uow.documents.types_by_case({handover.case_id})
    return _make_view(handover, types.get(handover.case_id, DossierTypes()))


def _view_of(handover: Handover, present: DossierTypes) -> HandoverView:
    """The changed handover and its blocking state from the document types `advance` read.

    The case is locked, so no document can have arrived since: no flush and no second read.
    """
    return _make_view(handover, present)


async def advance(
    uow: HandoverUnitOfWork, handover: Handover, case: Case, ctx: TransferContext
) -> DossierTypes:
    """Move a pre-transfer handover to the status its conditions allow.

    Returns the document types of the case, which it read for that.
    """
    documents = list(await uow.documents.list_for_case(handover.case_id))
    present = DossierTypes(
        frozenset(d.type for d in documents), frozenset(d.type for d in documents if d.releasable)
    )
    waived = [w.document_type for w in handover.waivers]
    now = utcnow()
    readiness = handover.readiness(
        (DocumentType(t) for t in present.present),
        unreleased=present.unreleased(HandoverReason(handover.reason), waived),
        today=now.date(),
    )
    if readiness.status is not S.TRANSFERRED:
        handover.settle(readiness, now)
        return present
    # Special-category documents without a release stay with the source; the manifest
    # names their types only.
    released = [d for d in documents if d.releasable]
    withheld = withheld_types((DocumentType(d.type), d.releasable) for d in documents)
    handover.transfer(_release(handover, case, released, ctx, withheld), now)
    observe_transfer(uow, handover)
    if HandoverReason(handover.reason) is HandoverReason.U25_JOINT:
        # U25 (domain.md §2.3, R4): both work the case from now on; the source keeps it.
        case.share_with(handover.to_org, now)
    else:
        # From now on the receiving organisation is responsible; the source keeps read-only
        # access to the handover (not to later changes of the case).
        case.hand_to(handover.to_org, now)
    log.info("handover.transfer.completed", handover_id=str(handover.id), case_id=str(case.id))
    return present


def _serving(org: KnownOrganisation) -> ServingOrganisation:
    return ServingOrganisation(org.id, org.type, org.municipalities)


def _release(
    handover: Handover,
    case: Case,
    documents: list[Document],
    ctx: TransferContext,
    withheld: tuple[str, ...] = (),
) -> Release:
    """The signed manifest of the documents and the plan that travel with the case."""
    base = ctx.public_base_url.rstrip("/")
    manifest_docs = tuple(
        ManifestDocumentV1(
            document_id=d.id,
            type=d.type,
            sha256=d.sha256,
            size=d.size,
            media_type=d.media_type,
            url=f"{base}/v1/documents/{d.id}/content",
        )
        for d in documents
    )
    plan = case.integration_plan
    digest = manifest_digest(
        handover_id=str(handover.id),
        case_id=str(case.id),
        from_org=handover.from_org,
        to_org=handover.to_org,
        documents=[d.model_dump(mode="json") for d in manifest_docs],
        integration_plan=plan.model_dump(mode="json") if plan is not None else None,
        withheld_documents=withheld,
    )
    return Release(
        manifest=Manifest(
            documents=manifest_docs,
            integration_plan=plan,
            sha256=digest,
            withheld_documents=withheld,
        ),
        signature=ctx.signer.sign(digest, str(handover.id)),
        keys_url=f"{base}/v1/manifest-keys",
        accept_within=ctx.accept_deadline,
    )


Change = Callable[[Handover, Case, datetime], None]


async def _change(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    if_match: str | None,
    *,
    by: Literal["source", "receiver"],
    change: Change,
    ctx: TransferContext | None = None,
) -> HandoverView:
    """One change of a handover by one side, guarded by `If-Match`, in one transaction.

    With `ctx` the change is an input before the transfer: the handover then moves on to
    whatever status its conditions allow, possibly the transfer itself.
    """
    async with uow:
        locked = await _lock(uow, handover_id, actor.org)
        if locked is None:
            raise NotFound("handover not found")
        handover, case = locked
        if by == "source" and handover.from_org != actor.org:
            raise TransitionNotAllowed("only the source organisation can do this")
        if by == "receiver" and handover.before_transfer:
            # Only the source sees a handover before its transfer: tell it what still blocks.
            view = await _view(uow, handover)
            raise HandoverNotTransferred(
                f"the handover is {handover.status}, not transferred yet: "
                + describe(view.blockers)
            )
        if by == "receiver" and handover.to_org != actor.org:
            raise TransitionNotAllowed("only the receiving organisation can do this")
        if if_match is not None:
            check_if_match(if_match, handover.version)
        change(handover, case, utcnow())
        present = await advance(uow, handover, case, ctx) if ctx is not None else None
        await _save(uow, actor, handover)
        view = _view_of(handover, present) if present is not None else await _view(uow, handover)
        await uow.commit()
    return view


async def record_trigger(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    trigger: Trigger,
    if_match: str | None,
    ctx: TransferContext,
) -> HandoverView:
    """Record the legal trigger (e.g. SGB II application filed); may complete the transfer."""

    def record(handover: Handover, _: Case, now: datetime) -> None:
        handover.record_trigger(trigger, now)

    return await _change(uow, actor, handover_id, if_match, by="source", change=record, ctx=ctx)


async def waive_document(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    waiver: Waiver,
    if_match: str | None,
    ctx: TransferContext,
) -> HandoverView:
    """Waive one mandatory document with a reason; may complete the transfer."""

    def waive(handover: Handover, _: Case, now: datetime) -> None:
        handover.waive(waiver, now)

    return await _change(uow, actor, handover_id, if_match, by="source", change=waive, ctx=ctx)


async def cancel_handover(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    reason: CancellationReason,
    if_match: str | None,
) -> HandoverView:
    """The source withdraws a handover before the transfer."""

    def cancel(handover: Handover, _: Case, now: datetime) -> None:
        handover.cancel(reason, now)

    return await _change(uow, actor, handover_id, if_match, by="source", change=cancel)


async def accept_handover(
    uow: HandoverUnitOfWork, actor: Principal, handover_id: uuid.UUID, if_match: str | None
) -> HandoverView:
    """The receiver confirms and continues the case."""

    def accept(handover: Handover, _: Case, now: datetime) -> None:
        handover.accept(now)

    return await _change(uow, actor, handover_id, if_match, by="receiver", change=accept)


async def complete_handover(
    uow: HandoverUnitOfWork, actor: Principal, handover_id: uuid.UUID, if_match: str | None
) -> HandoverView:
    """The receiver has continued the plan; the source's read access ends."""

    def complete(handover: Handover, _: Case, now: datetime) -> None:
        handover.complete(now)

    return await _change(uow, actor, handover_id, if_match, by="receiver", change=complete)


async def reject_handover(
    uow: HandoverUnitOfWork,
    actor: Principal,
    handover_id: uuid.UUID,
    reason: RejectionReason,
    if_match: str | None,
) -> HandoverView:
    """The receiver returns the case to the source with a reason code."""

    def reject(handover: Handover, case: Case, now: datetime) -> None:
        handover.reject(reason, now)
        if case.joint is not None and case.joint.partner_org == handover.to_org:
            # A returned U25 joint case: the partner is no longer involved.
            case.end_joint(handover.to_org, JointEndReason.NO_LONGER_INVOLVED, now)
        case.hand_to(handover.from_org, now)

    return await _change(uow, actor, handover_id, if_match, by="receiver", change=reject)


async def escalate_overdue(uow: HandoverUnitOfWork, now: datetime) -> int:
    """Publish handover.overdue once for every transferred handover past its deadline."""
    handovers = await uow.handovers.due_for_overdue(now)
    for handover in handovers:
        handover.mark_overdue(now)
        await _save(uow, audit.SYSTEM, handover)
    return len(handovers)
