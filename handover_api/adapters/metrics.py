"""handover_api's metrics: handovers by status and overdue (at scrape time), time to transfer."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from prometheus_client import Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from handover_api.adapters.tables import Handover
from handover_api.domain.lifecycle import HandoverStatus
from shared.db.uow import UnitOfWork
from shared.metrics_collectors import GaugeFamily, Reading, ScrapedGauges

SERVICE = "handover_api"

# From the legal trigger's recording to the transfer: seconds when everything is there,
# days when documents are missing or the transfer is dated.
TRIGGER_TO_TRANSFER = Histogram(
    "handover_trigger_to_transfer_seconds",
    "Time from recording a handover's legal trigger to its transfer",
    buckets=(1, 5, 30, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400),
)

HANDOVER_FAMILIES = (
    GaugeFamily("handovers", "Handovers by status", ("status",)),
    GaugeFamily(
        "handovers_overdue",
        "Transferred handovers the receiver has not accepted within the deadline",
    ),
)


def observe_transfer(uow: UnitOfWork, handover: Handover) -> None:
    """Record trigger -> transfer for a handover just transferred, once that commits (a
    transaction retried after a conflict counts its transfer once)."""
    if handover.trigger is None or handover.transferred_at is None:
        return
    seconds = max((handover.transferred_at - handover.trigger.recorded_at).total_seconds(), 0.0)
    uow.after_commit(partial(TRIGGER_TO_TRANSFER.observe, seconds))


async def read_handovers(conn: AsyncConnection, now: datetime) -> Reading:
    """Counts by status (every status answered, 0 included) and the overdue ones."""
    table = Handover.__table__
    counts = {
        str(status): int(count)
        for status, count in (
            await conn.execute(select(table.c.status, func.count()).group_by(table.c.status))
        ).all()
    }
    overdue = (
        await conn.execute(
            select(func.count()).where(
                table.c.status == HandoverStatus.TRANSFERRED.value, table.c.due_at < now
            )
        )
    ).scalar_one()
    return {
        "handovers": {
            (status.value,): float(counts.get(status.value, 0)) for status in HandoverStatus
        },
        "handovers_overdue": {(): float(overdue)},
    }


def handover_gauges(engine: AsyncEngine) -> ScrapedGauges:
    """The handover gauges, answered by the worker (where the overdue check runs)."""
    return ScrapedGauges(
        "handovers", SERVICE, engine, HANDOVER_FAMILIES, read_handovers, ttl_seconds=10.0
    )
