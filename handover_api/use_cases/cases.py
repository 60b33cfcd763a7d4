"""Use cases for case records: register, read (audited), update facts and plan."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from handover_api.adapters.tables import Case
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.domain.case import (
    CaseStatus,
    ContactData,
    ContactPurpose,
    PlanDraft,
    case_status,
    numbered_plan,
)
from handover_api.domain.errors import CaseNotWritable, DuplicateKundennummer
from handover_api.use_cases import audit
from handover_api.use_cases.handovers import TransferContext, reevaluate_handover
from handover_api.use_cases.outbox import announce
from shared.auth import Principal
from shared.db.base import utcnow
from shared.etag import check_if_match
from shared.events.case import CaseRegisteredV1, CaseUpdatedV1
from shared.events.facts import EligibilityFactsV1
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.problems import NotFound


@dataclass(frozen=True)
class RegisterCase:
    """Input of `register_case`."""

    kundennummer: str | None
    municipality: str | None
    person: ContactData
    facts: EligibilityFactsV1
    integration_plan: PlanDraft | None


@dataclass(frozen=True)
class UpdateCase:
    """Changed fields of a case; None means unchanged."""

    municipality: str | None = None
    person: ContactData | None = None
    facts: EligibilityFactsV1 | None = None
    integration_plan: PlanDraft | None = None


async def register_case(
    uow: HandoverUnitOfWork,
    actor: Principal,
    cmd: RegisterCase,
    answer: Callable[[Case], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Create a case owned by the caller's organisation and announce it.

    The answer is stored under the Idempotency-Key in the same transaction, so a repeat
    gets the first answer back and creates nothing.
    """
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        now = utcnow()
        case = Case(
            id=uuid.uuid4(),
            owner_org=actor.org,
            created_by_org=actor.org,
            kundennummer=cmd.kundennummer,
            municipality=cmd.municipality,
            person=cmd.person,
            facts=cmd.facts,
            integration_plan=(
                numbered_plan(cmd.integration_plan, None) if cmd.integration_plan else None
            ),
            joint=None,
            joint_partner_org=None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        existing = await uow.cases.add_unique(case)
        if existing is not None:
            raise DuplicateKundennummer(
                f"case {existing} of this organisation has this Kundennummer",
                existing_case_id=existing,
            )
        audit.record(uow, actor, case.id, "case.created")
        await announce(
            uow,
            CaseRegisteredV1(
                case_id=case.id,
                owner_org=case.owner_org,
                municipality=case.municipality,
                facts=cmd.facts,
                registered_at=now,
            ),
            case.id,
        )
        await uow.session.flush()
        created = answer(case)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    return created


async def read_case(uow: HandoverUnitOfWork, actor: Principal, case_id: uuid.UUID) -> Case:
    """The case with personal data; the read itself is audited."""
    async with uow:
        case = await uow.cases.get(case_id, actor.org)
        if case is None:
            raise NotFound("case not found")
        audit.record(uow, actor, case.id, "case.read")
        await uow.commit()
    return case


async def find_cases(
    uow: HandoverUnitOfWork,
    actor: Principal,
    *,
    kundennummer: str | None,
    status: CaseStatus | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[tuple[Case, CaseStatus]]:
    """Up to `limit` of the caller's cases by id, with their derived status.

    Every case listed gets an audit entry (a list read shows personal data); the entry says
    whether a Kundennummer was searched for, never which one.
    """
    async with uow:
        rows = await uow.cases.find(
            actor.org, kundennummer=kundennummer, status=status, after=after, limit=limit
        )
        for case, _ in rows:
            audit.record(
                uow,
                actor,
                case.id,
                "case.listed",
                status=status.value if status is not None else None,
                by_kundennummer=kundennummer is not None,
            )
        await uow.commit()
    return [(case, case_status(handover_status)) for case, handover_status in rows]


async def read_contact(
    uow: HandoverUnitOfWork, actor: Principal, case_id: uuid.UUID, purpose: ContactPurpose
) -> Case:
    """The case for its contact data, for a service client of any organisation; audited.

    The route admits only tokens with the service scope `contact:read`; the audit entry
    names the purpose, and its subject the service.
    """
    async with uow:
        case = await uow.cases.get_unscoped(case_id)
        if case is None:
            raise NotFound("case not found")
        audit.record(uow, actor, case.id, "case.contact_read", contact_purpose=purpose.value)
        await uow.commit()
    return case


async def update_case(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    if_match: str | None,
    cmd: UpdateCase,
    ctx: TransferContext,
) -> Case:
    """Apply changes guarded by If-Match; changed facts are announced as case.updated.

    The case's active handover is re-evaluated under the same case lock, like after every
    other input it depends on.
    """
    async with uow:
        case = await _apply_update(uow, actor, case_id, if_match, cmd, ctx)
        await uow.commit()
    return case


async def _apply_update(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    if_match: str | None,
    cmd: UpdateCase,
    ctx: TransferContext,
) -> Case:
    case = await uow.cases.get(case_id, actor.org, for_update=True)
    if case is None:
        raise NotFound("case not found")
    check_if_match(if_match, case.version)
    if case.owner_org != actor.org and (
        cmd.municipality is not None or cmd.person is not None or cmd.facts is not None
    ):
        # The partner of a U25 joint case works the shared plan; facts and contact data
        # stay with the owner, whose Rechtskreis they are announced for.
        raise CaseNotWritable("the partner of a joint case changes the integration plan only")
    changed: list[str] = []
    if cmd.municipality is not None and cmd.municipality != case.municipality:
        case.municipality = cmd.municipality
        changed.append("municipality")
    if cmd.person is not None and cmd.person != case.person:
        case.person = cmd.person
        changed.append("person")
    if cmd.facts is not None and cmd.facts != case.facts:
        case.facts = cmd.facts
        changed.append("facts")
    if cmd.integration_plan is not None:
        case.integration_plan = numbered_plan(cmd.integration_plan, case.integration_plan)
        changed.append("integration_plan")
    if not changed:
        return case
    now = utcnow()
    case.touch(now)
    audit.record(uow, actor, case.id, "case.updated", fields=changed)
    if "facts" in changed or "municipality" in changed:
        await announce(
            uow,
            CaseUpdatedV1(
                case_id=case.id,
                owner_org=case.owner_org,
                municipality=case.municipality,
                facts=case.facts,
                changed_fields=tuple(f for f in changed if f in {"facts", "municipality"}),
                updated_at=now,
            ),
            case.id,
        )
    await reevaluate_handover(uow, case, ctx)
    return case
