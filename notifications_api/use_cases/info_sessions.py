"""Use cases for the info-session calendar (domain.md §4.1 R1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from notifications_api.adapters.tables import InfoSession, InfoSessionSeries, Invitation
from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.cooperation import ensure_partners
from notifications_api.domain.errors import InfoSessionNotHosted
from notifications_api.domain.invitations import local_date
from notifications_api.domain.series import (
    MATERIALISE_HORIZON,
    SeriesRule,
    Weekday,
    check_co_hosts,
    check_period,
    materialise_until,
)
from notifications_api.use_cases.invitations import assign_pending_invitations
from shared.auth import Principal
from shared.db.base import utcnow
from shared.idempotency import Answer, IdempotencyRequest, claim, record_answer
from shared.logging import get_logger
from shared.problems import NotFound

log = get_logger(__name__)


@dataclass(frozen=True)
class ScheduleInfoSession:
    """Input of `schedule_info_session`."""

    location: str
    starts_at: datetime
    capacity: int
    agentur_org: str
    jobcenter_org: str


async def schedule_info_session(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    cmd: ScheduleInfoSession,
    answer: Callable[[InfoSession], Answer],
    idempotency: IdempotencyRequest | None = None,
) -> Answer:
    """Add a joint session hosted by the caller's organisation; seat waiting invitations.

    The answer is stored under the Idempotency-Key in the same transaction, so a repeat
    gets the first answer back and schedules nothing.
    """
    if actor.org not in (cmd.agentur_org, cmd.jobcenter_org):
        raise InfoSessionNotHosted("your organisation must be the Agentur or the Jobcenter")
    ensure_partners(cmd.agentur_org, cmd.jobcenter_org)
    now = utcnow()
    info_session = InfoSession(
        id=uuid.uuid4(),
        location=cmd.location,
        starts_at=cmd.starts_at,
        capacity=cmd.capacity,
        booked=0,
        agentur_org=cmd.agentur_org,
        jobcenter_org=cmd.jobcenter_org,
        created_by_org=actor.org,
        created_at=now,
    )
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        uow.info_sessions.add(info_session)
        await uow.session.flush()
        # Sessions in the past take no one; new ones seat invitations that were waiting.
        seated = info_session.starts_at > now and await assign_pending_invitations(
            uow, info_session, now
        )
        if seated:
            await uow.session.refresh(info_session)
        created = answer(info_session)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    return created


async def list_info_sessions(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    *,
    location: str | None,
    starts_from: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    series_id: uuid.UUID | None = None,
) -> Sequence[InfoSession]:
    """Sessions the caller's organisation hosts, in start order (plus one look-ahead row)."""
    async with uow:
        return await uow.info_sessions.page(
            actor.org,
            location=location,
            starts_from=starts_from,
            after=after,
            limit=limit,
            series_id=series_id,
        )


@dataclass(frozen=True)
class CoHost:
    """A host's staff member for the series: placement officer or integration coach."""

    org: str
    role: str
    name: str
    contact: str | None


@dataclass(frozen=True)
class CreateSeries:
    """Input of `create_series`."""

    location: str
    place: str
    rule: SeriesRule
    capacity: int
    agentur_org: str
    jobcenter_org: str
    co_hosts: Sequence[CoHost]
    valid_from: date
    valid_until: date | None


async def create_series(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    cmd: CreateSeries,
    answer: Callable[[InfoSessionSeries, int], Answer],
    idempotency: IdempotencyRequest | None = None,
    now: datetime | None = None,
) -> Answer:
    """Add a series of joint sessions and materialise its sessions for the horizon.

    `answer` gets the series and how many sessions it has now.
    """
    if actor.org not in (cmd.agentur_org, cmd.jobcenter_org):
        raise InfoSessionNotHosted("your organisation must be the Agentur or the Jobcenter")
    ensure_partners(cmd.agentur_org, cmd.jobcenter_org)
    check_co_hosts(cmd.agentur_org, cmd.jobcenter_org, [(c.org, c.role) for c in cmd.co_hosts])
    check_period(cmd.valid_from, cmd.valid_until)
    at = now or utcnow()
    series = InfoSessionSeries(
        id=uuid.uuid4(),
        location=cmd.location,
        place=cmd.place,
        weekday=cmd.rule.weekday.value,
        weeks_of_month=list(cmd.rule.weeks_of_month),
        start_time=cmd.rule.start_time,
        capacity=cmd.capacity,
        agentur_org=cmd.agentur_org,
        jobcenter_org=cmd.jobcenter_org,
        co_hosts=[
            {"org": c.org, "role": c.role, "name": c.name, "contact": c.contact or ""}
            for c in cmd.co_hosts
        ],
        valid_from=cmd.valid_from,
        valid_until=cmd.valid_until,
        materialised_until=cmd.valid_from - timedelta(days=1),
        created_by_org=actor.org,
        created_at=at,
    )
    async with uow:
        replay = await claim(uow.session, idempotency)
        if replay is not None:
            return replay
        uow.series.add(series)
        await uow.session.flush()
        count = await _materialise(uow, series, local_date(at), at)
        created = answer(series, count)
        await record_answer(uow.session, idempotency, created)
        await uow.commit()
    log.info("info_session_series.created", series_id=str(series.id), sessions=count)
    return created


def rule_of(series: InfoSessionSeries) -> SeriesRule:
    """The stored rule of a series."""
    return SeriesRule(
        weekday=Weekday(series.weekday),
        weeks_of_month=tuple(series.weeks_of_month),
        start_time=series.start_time,
    )


async def _materialise(
    uow: NotificationsUnitOfWork, series: InfoSessionSeries, today: date, now: datetime
) -> int:
    """Create the series' missing sessions up to its horizon; seat waiting invitations."""
    until = materialise_until(series.valid_from, series.valid_until, today)
    # Days already past get no sessions: a series started late begins today.
    first = max(series.valid_from, series.materialised_until + timedelta(days=1), today)
    rule = rule_of(series)
    existing = await uow.series.session_starts(series.id)
    created = 0
    for day in rule.days_between(first, until):
        starts_at = rule.starts_at(day)
        if starts_at in existing:
            continue
        info_session = InfoSession(
            id=uuid.uuid4(),
            location=series.location,
            starts_at=starts_at,
            capacity=series.capacity,
            booked=0,
            agentur_org=series.agentur_org,
            jobcenter_org=series.jobcenter_org,
            created_by_org=series.created_by_org,
            created_at=now,
            series_id=series.id,
            place=series.place,
        )
        uow.info_sessions.add(info_session)
        await uow.session.flush()
        if starts_at > now and await assign_pending_invitations(uow, info_session, now):
            await uow.session.refresh(info_session)
        created += 1
    if until > series.materialised_until:
        series.materialised_until = until
    return created + len(existing)


async def extend_series(uow: NotificationsUnitOfWork, now: datetime) -> int:
    """Move every running series' sessions forward to the horizon; the caller commits."""
    today = local_date(now)
    sessions = 0
    for series in await uow.series.open_ended_before(today + MATERIALISE_HORIZON):
        before = len(await uow.series.session_starts(series.id))
        sessions += await _materialise(uow, series, today, now) - before
    return sessions


async def get_series(
    uow: NotificationsUnitOfWork, actor: Principal, series_id: uuid.UUID
) -> tuple[InfoSessionSeries, int]:
    """A series the caller hosts and how many sessions it has; 404 for anyone else."""
    async with uow:
        series = await uow.series.get(actor.org, series_id)
        if series is None:
            raise NotFound("info-session series not found")
        return series, len(await uow.series.session_starts(series.id))


async def list_session_invitations(
    uow: NotificationsUnitOfWork,
    actor: Principal,
    session_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Invitation]:
    """The invitations seated in a session the caller hosts (plus one look-ahead row)."""
    async with uow:
        if await uow.info_sessions.get(actor.org, session_id) is None:
            raise NotFound("info session not found")
        return await uow.invitations.for_session(session_id, after=after, limit=limit)
