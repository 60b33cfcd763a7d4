"""The event path under open-loop load: handovers that transfer by themselves, timed to the webhook.

A handover is offered at its scheduled moment whatever the earlier ones are doing (open
loop), so a slow stack shows as latency and backlog rather than as a slower client. Its
latency runs from that moment to the signed webhook arriving at the loopback receiver here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.bench.ceilings import percentile
from tests.bench.raw_http import Answer, Connection, encode_request
from tests.e2e.webhook_receiver import ReceivedWebhook, verify_signature
from tests.faults.load import ALG1_EXHAUSTED_DOCUMENTS, HANDOVER_BODY

FINAL_DELIVERY_STATES = ("succeeded", "failed", "disabled")


def handover_body(uploaded: int) -> dict[str, Any]:
    """The fault suite's handover; the documents beyond the first `uploaded` are waived."""
    waived = ALG1_EXHAUSTED_DOCUMENTS[uploaded:]
    return {
        **HANDOVER_BODY,
        "waivers": [{"document_type": d, "reason": "Nachreichung vereinbart"} for d in waived],
    }


@dataclass
class WebhookSink:
    """A loopback receiver: verifies each signature, keeps the first arrival per handover."""

    secret: str = ""
    url: str = ""
    arrived: dict[str, float] = field(default_factory=dict)
    calls: int = 0
    bad_signatures: int = 0
    repeated: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hooks"

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status = self._record(ReceivedWebhook(request_line.split(" ")[1], headers, body))
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n".encode("latin-1"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _record(self, webhook: ReceivedWebhook) -> int:
        now = time.monotonic()
        self.calls += 1
        try:
            verified = verify_signature(self.secret, webhook)
        except (KeyError, ValueError):
            verified = False
        if not verified:
            self.bad_signatures += 1
            return 401
        handover_id = (json.loads(webhook.body).get("data") or {}).get("handover_id")
        if handover_id is None:
            return 204
        if handover_id in self.arrived:
            self.repeated += 1
        else:
            self.arrived[str(handover_id)] = now
        return 204


@dataclass(frozen=True)
class Backlog:
    """Work the stack still has: unsent outbox rows, consumer lag, pending deliveries."""

    outbox_unsent: int
    consumer_lag: int | None
    pending_deliveries: int

    @property
    def total(self) -> int:
        """Everything still queued (lag counts as 0 when the broker could not be asked)."""
        return self.outbox_unsent + (self.consumer_lag or 0) + self.pending_deliveries


async def read_backlog(database_urls: Mapping[str, str], bootstrap_servers: str) -> Backlog:
    """Query the services' databases directly, and the broker for the groups' offsets.

    Which group consumes which topic comes from the inbox tables (a group appears once it
    has applied an event), so no group listing is needed (the embedded broker has none).
    """
    unsent = 0
    pending = 0
    subscriptions: set[tuple[str, str]] = set()
    for name, url in database_urls.items():
        async with await psycopg.AsyncConnection.connect(url, connect_timeout=5) as conn:
            row = await (
                await conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            ).fetchone()
            unsent += int(row[0]) if row else 0
            cursor = await conn.execute("SELECT DISTINCT consumer, topic FROM inbox")
            subscriptions |= {(str(group), str(topic)) for group, topic in await cursor.fetchall()}
            if name == "notifications_api":
                row = await (
                    await conn.execute(
                        "SELECT count(*) FROM deliveries WHERE status <> ALL(%s)",
                        (list(FINAL_DELIVERY_STATES),),
                    )
                ).fetchone()
                pending += int(row[0]) if row else 0
    try:
        lag: int | None = await asyncio.wait_for(consumer_lag(bootstrap_servers, subscriptions), 15)
    except Exception:  # a broker that does not answer leaves the lag unknown
        lag = None
    return Backlog(unsent, lag, pending)


async def consumer_lag(bootstrap_servers: str, subscriptions: set[tuple[str, str]]) -> int:
    """Records the (group, topic) pairs have not committed yet, summed over partitions."""
    lag = 0
    for group in sorted({g for g, _ in subscriptions}):
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            await consumer.topics()  # fetches the metadata partitions_for_topic reads
            partitions = [
                TopicPartition(topic, p)
                for g, topic in sorted(subscriptions)
                if g == group
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            ends = await consumer.end_offsets(partitions)
            for partition in partitions:
                committed = await consumer.committed(partition)
                lag += max(ends[partition] - (committed or 0), 0)
        finally:
            await consumer.stop()
    return lag


@dataclass
class StepResult:
    """One open-loop rate: what was offered, answered and delivered, and the backlog."""

    rate: float
    seconds: float
    offered: int = 0
    accepted: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    latencies_ms: dict[str, float] = field(default_factory=dict)
    backlog_end: Backlog | None = None
    drained_seconds: float | None = None
    sustainable: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        backlog = self.backlog_end
        return {
            "rate_per_second": self.rate,
            "seconds": self.seconds,
            "offered": self.offered,
            "accepted": self.accepted,
            "errors": self.errors,
            "delivered": self.delivered,
            "latency_ms": self.latencies_ms,
            "backlog_at_end": None
            if backlog is None
            else {
                "outbox_unsent": backlog.outbox_unsent,
                "consumer_lag": backlog.consumer_lag,
                "pending_deliveries": backlog.pending_deliveries,
            },
            "drained_seconds": self.drained_seconds,
            "sustainable": self.sustainable,
            "note": self.note,
        }


class ConnectionPool:
    """Keep-alive connections to one base URL, at most `limit` open.

    A connection idle for longer than `max_idle` is closed instead of reused: uvicorn closes
    idle connections after its keep-alive timeout (5 s), and a request written into one that
    is closing would fail without reaching the app.
    """

    def __init__(self, base_url: str, limit: int, max_idle: float = 2.0) -> None:
        self._base_url = base_url
        self._idle: list[tuple[Connection, float]] = []
        self._slots = asyncio.Semaphore(limit)
        self._max_idle = max_idle

    async def _take(self) -> Connection:
        while self._idle:
            connection, since = self._idle.pop()
            if time.monotonic() - since < self._max_idle:
                return connection
            await connection.close()
        return await Connection.open(self._base_url)

    async def exchange(self, request: bytes, timeout: float) -> Answer:
        """Send on an idle (or new) connection; a failed connection is dropped."""
        async with self._slots:
            connection = await self._take()
            try:
                answer = await asyncio.wait_for(connection.exchange(request), timeout)
            except BaseException:
                await connection.close()
                raise
            self._idle.append((connection, time.monotonic()))
            return answer

    async def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            await self._idle.pop()[0].close()


async def offer_handovers(
    *,
    base_url: str,
    host: str,
    headers: Mapping[str, str],
    case_ids: Sequence[str],
    body: bytes,
    rate: float,
    step: StepResult,
    sent_at: dict[str, float],
    max_connections: int = 200,
    timeout: float = 30.0,
) -> None:
    """POST one handover per case at `rate` per second; record when each was scheduled."""
    pool = ConnectionPool(base_url, max_connections)
    start = time.monotonic() + 0.05

    async def one(index: int, case_id: str) -> None:
        scheduled = start + index / rate
        await asyncio.sleep(max(scheduled - time.monotonic(), 0.0))
        request = encode_request("POST", host, f"/v1/cases/{case_id}/handovers", headers, body)
        try:
            answer = await pool.exchange(request, timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            name = type(exc).__name__
            step.errors[name] = step.errors.get(name, 0) + 1
            return
        if answer.status == 201:
            step.accepted += 1
            sent_at[str(answer.json()["id"])] = scheduled
        else:
            key = f"HTTP {answer.status}"
            step.errors[key] = step.errors.get(key, 0) + 1

    tasks = [asyncio.create_task(one(i, c)) for i, c in enumerate(case_ids)]
    step.offered = len(tasks)
    try:
        await asyncio.gather(*tasks)
    finally:
        await pool.close()


def summarise_latencies(
    sent_at: Mapping[str, float], arrived: Mapping[str, float]
) -> tuple[int, dict[str, float]]:
    """Delivered count and p50/p95/p99/max in ms; a handover not delivered counts as endless."""
    samples = sorted(
        (arrived[h] - t) * 1000 if h in arrived else float("inf") for h, t in sent_at.items()
    )
    delivered = sum(1 for h in sent_at if h in arrived)
    return delivered, {
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "max": samples[-1] if samples else 0.0,
    }
