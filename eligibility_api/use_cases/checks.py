"""Eligibility checks requested over HTTP: evaluate, store for the caller's org, read back."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from eligibility_api.adapters.tables import EligibilityCheck
from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.use_cases.decisions import DecisionSnapshot, evaluate_facts
from shared.db.base import utcnow
from shared.events.facts import EligibilityFactsV1
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.problems import NotFound


@dataclass(frozen=True, slots=True)
class CreateCheck:
    """Evaluate `facts` as of `as_of` for the caller's organisation."""

    org: str
    facts: EligibilityFactsV1
    as_of: date
    case_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A stored check as it is answered."""

    id: uuid.UUID
    owner_org: str
    case_id: uuid.UUID | None
    handover_id: uuid.UUID | None
    as_of: date
    created_at: datetime
    decision: DecisionSnapshot

    @classmethod
    def of(cls, row: EligibilityCheck) -> CheckResult:
        """Rebuild the answer from the stored row (the decision is never recomputed)."""
        return cls(
            id=row.id,
            owner_org=row.owner_org,
            case_id=row.case_id,
            handover_id=row.handover_id,
            as_of=row.as_of,
            created_at=row.created_at,
            decision=DecisionSnapshot.model_validate(row.decision),
        )


def new_check_row(
    *,
    check_id: uuid.UUID,
    org: str,
    origin: str,
    facts: EligibilityFactsV1,
    as_of: date,
    decision: DecisionSnapshot,
    case_id: uuid.UUID | None = None,
    handover_id: uuid.UUID | None = None,
) -> EligibilityCheck:
    """A check row holding the facts as given and the decision as answered."""
    return EligibilityCheck(
        id=check_id,
        owner_org=org,
        origin=origin,
        case_id=case_id,
        handover_id=handover_id,
        as_of=as_of,
        facts=facts.model_dump(mode="json"),
        decision=decision.model_dump(mode="json"),
        legal_domain=decision.legal_domain,
        rules_version=decision.rules_version,
        created_at=utcnow(),
    )


async def create_check(
    uow: EligibilityUnitOfWork,
    cmd: CreateCheck,
    answer: Callable[[CheckResult], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Evaluate and store a check; its answer is stored under the key in the same commit."""
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        decision = evaluate_facts(cmd.facts, cmd.as_of, uow.rules)
        row = new_check_row(
            check_id=uuid.uuid4(),
            org=cmd.org,
            origin="api",
            facts=cmd.facts,
            as_of=cmd.as_of,
            decision=decision,
            case_id=cmd.case_id,
        )
        uow.checks.add(row)
        created = answer(CheckResult.of(row))
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    return created


async def get_check(uow: EligibilityUnitOfWork, check_id: uuid.UUID, org: str) -> CheckResult:
    """The stored check if `org` owns it; anything else is not found (404, not 403)."""
    async with uow:
        row = await uow.checks.get(check_id, org)
        if row is None:
            raise NotFound(f"eligibility check {check_id} not found")
        return CheckResult.of(row)
