"""Repositories of eligibility_api: every query lives here, and every API read is org-scoped."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility_api.adapters.tables import CaseFacts, EligibilityCheck, ScheduledTransition


class CheckRepository:
    """Stored eligibility checks; an organisation reads only its own."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _readable(self, org: str) -> Select[EligibilityCheck]:
        return select(EligibilityCheck).where(EligibilityCheck.owner_org == org)

    def add(self, check: EligibilityCheck) -> None:
        """Stage a new check."""
        self._session.add(check)

    async def get(self, check_id: uuid.UUID, org: str) -> EligibilityCheck | None:
        """The check if `org` owns it, else None."""
        stmt = self._readable(org).where(EligibilityCheck.id == check_id)
        return (await self._session.scalars(stmt)).one_or_none()

    async def exists(self, check_id: uuid.UUID) -> bool:
        """Whether a check with this id was stored (consumers derive ids from event ids)."""
        found = await self._session.scalar(
            select(EligibilityCheck.id).where(EligibilityCheck.id == check_id)
        )
        return found is not None


class CaseFactsRepository:
    """The projection of case facts kept from case.registered and case.updated."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, case: CaseFacts) -> None:
        """Stage a newly projected case."""
        self._session.add(case)

    async def get(self, case_id: uuid.UUID) -> CaseFacts | None:
        """The projected case, if its registration arrived."""
        return await self._session.get(CaseFacts, case_id)

    async def due_for_transition(
        self, today: date, horizon: date, limit: int
    ) -> Sequence[CaseFacts]:
        """Cases whose ALG I ends within [today, horizon] and whose end date is not scheduled."""
        scheduled = exists().where(
            and_(
                ScheduledTransition.case_id == CaseFacts.case_id,
                ScheduledTransition.alg1_end_date == CaseFacts.alg1_end_date,
            )
        )
        stmt = (
            select(CaseFacts)
            .where(
                CaseFacts.alg1_end_date.is_not(None),
                CaseFacts.alg1_end_date >= today,
                CaseFacts.alg1_end_date <= horizon,
                ~scheduled,
            )
            .order_by(CaseFacts.alg1_end_date, CaseFacts.case_id)
            .limit(limit)
        )
        return (await self._session.scalars(stmt)).all()


class ScheduledTransitionRepository:
    """transition.upcoming events staged so far, one per (case, ALG I end date)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, transition: ScheduledTransition) -> None:
        """Stage a scheduled transition (its unique key guards against a second one)."""
        self._session.add(transition)
