"""Gauges read from a service's database when `/metrics` is scraped, bounded and cached.

Counting rows is the database's job, and what it answers right now is the truth (a relay
stuck on the broker cannot report its own backlog). A scrape must still never hang on the
database, so each source reads with one short query under a timeout (`timeout_seconds`,
also the statement timeout on PostgreSQL) and at most once per `ttl_seconds`; scrapes in
between, or while a read is running, answer the cached reading.

When a read fails or times out the source's families are left out of the answer (no
stale value can keep an alert firing or resolve it) and `metrics_source_up` is 0 for it;
`metrics_source_last_success_timestamp_seconds` says since when.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.base import utcnow
from shared.db.tables import OUTBOX
from shared.logging import get_logger

log = get_logger(__name__)

Labels = tuple[str, ...]
# Family name -> value per label values (the `service` label is added by the source).
Reading = Mapping[str, Mapping[Labels, float]]
Read = Callable[[AsyncConnection, datetime], Awaitable[Reading]]


@dataclass(frozen=True)
class GaugeFamily:
    """A gauge family a source answers: name, help and labels after `service`."""

    name: str
    documentation: str
    labels: Labels = ()


class ScrapedGauges:
    """One service's gauges from one short database query, cached for `ttl_seconds`."""

    def __init__(
        self,
        source: str,
        service: str,
        engine: AsyncEngine,
        families: Sequence[GaugeFamily],
        read: Read,
        *,
        ttl_seconds: float = 5.0,
        timeout_seconds: float = 1.0,
    ) -> None:
        self.source = source
        self.service = service
        self.families = tuple(families)
        self._engine = engine
        self._read = read
        self._ttl = ttl_seconds
        self._timeout = timeout_seconds
        self._reading: Reading | None = None
        self._read_at: float | None = None
        self._refreshing = False
        self.ok = False
        self.last_success: float | None = None

    async def refresh(self) -> None:
        """Read again if the cached reading is older than the ttl and no read is running."""
        now = time.monotonic()
        if self._refreshing or (self._read_at is not None and now - self._read_at < self._ttl):
            return
        self._refreshing = True
        try:
            async with asyncio.timeout(self._timeout):
                async with self._engine.connect() as conn:
                    if conn.dialect.name == "postgresql":
                        millis = max(int(self._timeout * 1000), 1)
                        await conn.execute(text(f"SET LOCAL statement_timeout = {millis}"))
                    reading = await self._read(conn, utcnow())
            self._reading = reading
            self.ok = True
            self.last_success = time.time()
        except Exception as exc:
            self._reading = None
            self.ok = False
            log.warning(
                "metrics.source.failed",
                source=self.source,
                service=self.service,
                error=type(exc).__name__,
            )
        finally:
            self._read_at = time.monotonic()
            self._refreshing = False

    def reading(self) -> Reading | None:
        """The last successful reading, or None after a failed one."""
        return self._reading


class ScrapedCollector(Collector):
    """The process's scrape-time sources, as one collector in the default registry."""

    def __init__(self) -> None:
        self._sources: list[ScrapedGauges] = []

    def add(self, source: ScrapedGauges) -> None:
        """Answer `source`'s families from now on."""
        self._sources.append(source)

    def remove(self, source: ScrapedGauges) -> None:
        """Stop answering `source` (its runtime stopped)."""
        if source in self._sources:
            self._sources.remove(source)

    async def refresh(self) -> None:
        """Refresh every due source; each is bounded by its own timeout."""
        if self._sources:
            await asyncio.gather(*(source.refresh() for source in list(self._sources)))

    def collect(self) -> Iterator[Metric]:
        if not self._sources:
            return
        up = GaugeMetricFamily(
            "metrics_source_up",
            "1 if the last database read of a scrape-time source succeeded, else 0",
            labels=["service", "source"],
        )
        success = GaugeMetricFamily(
            "metrics_source_last_success_timestamp_seconds",
            "Unix time of the last successful database read of a scrape-time source",
            labels=["service", "source"],
        )
        families: dict[str, GaugeMetricFamily] = {}
        values: dict[str, dict[Labels, float]] = {}
        seen: set[tuple[str, str]] = set()
        for source in self._sources:
            key = (source.service, source.source)
            if key in seen:  # two runtimes of one service in one process (tests)
                continue
            seen.add(key)
            up.add_metric(list(key), 1.0 if source.ok else 0.0)
            if source.last_success is not None:
                success.add_metric(list(key), source.last_success)
            reading = source.reading()
            if reading is None:
                continue
            for family in source.families:
                families.setdefault(
                    family.name,
                    GaugeMetricFamily(
                        family.name, family.documentation, labels=["service", *family.labels]
                    ),
                )
                for labels, value in reading.get(family.name, {}).items():
                    values.setdefault(family.name, {})[(source.service, *labels)] = value
        yield up
        yield success
        for name, metric in families.items():
            for labels, value in values.get(name, {}).items():
                metric.add_metric(list(labels), value)
            yield metric


SCRAPED = ScrapedCollector()
REGISTRY.register(SCRAPED)


OUTBOX_FAMILIES = (
    GaugeFamily("outbox_unsent_rows", "Outbox rows not yet acknowledged by the broker"),
    GaugeFamily(
        "outbox_oldest_unsent_age_seconds",
        "Age of the oldest unsent outbox row (0 when none is waiting)",
    ),
)


async def read_outbox(conn: AsyncConnection, now: datetime) -> Reading:
    """Unsent rows and the age of the oldest; one index range scan on `ix_outbox_unsent`."""
    count, oldest = (
        await conn.execute(
            select(func.count(), func.min(OUTBOX.c.created_at)).where(OUTBOX.c.sent_at.is_(None))
        )
    ).one()
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return {
        "outbox_unsent_rows": {(): float(count)},
        "outbox_oldest_unsent_age_seconds": {(): age},
    }


def outbox_gauges(service: str, engine: AsyncEngine) -> ScrapedGauges:
    """The outbox backlog of `service`, read at scrape time by the process running its relay."""
    return ScrapedGauges("outbox", service, engine, OUTBOX_FAMILIES, read_outbox, ttl_seconds=2.0)
