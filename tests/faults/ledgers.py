"""The three ledgers of a fault scenario and their comparison: client, services, receiver."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import psycopg

from services.postgres import EmbeddedPostgres
from tests.faults.load import LoadStats
from tests.faults.receiver import FaultReceiver

TRANSFERRED_TOPIC = "case.transferred"
# Statuses a handover can reach only after it was transferred.
TRANSFERRED_OR_LATER = frozenset({"transferred", "accepted", "completed", "rejected"})
FINAL_DELIVERY_STATES = frozenset({"succeeded", "failed", "disabled"})


@dataclass
class ServiceBooks:
    """What the services' own tables say."""

    handover_status: dict[str, str]
    # handover id -> ids of the case.transferred events staged for it
    transfers: dict[str, set[str]]
    rows: dict[str, int]
    # handover id -> [(delivery id, status)] of case.transferred deliveries
    deliveries: dict[str, list[tuple[str, str]]]
    unsent_outbox: dict[str, int]

    @property
    def pending_deliveries(self) -> int:
        """Deliveries not yet in a final state."""
        return sum(
            1
            for rows in self.deliveries.values()
            for _, status in rows
            if status not in FINAL_DELIVERY_STATES
        )


def read_books(postgres: EmbeddedPostgres, databases: Mapping[str, str]) -> ServiceBooks:
    """Read handovers, transfers, row counts, deliveries and unsent outbox rows."""
    with psycopg.connect(postgres.url(databases["handover_api"]), connect_timeout=5) as conn:
        status = {str(i): s for i, s in conn.execute("SELECT id, status FROM handovers")}
        transfers: dict[str, set[str]] = {}
        for event_id, payload in conn.execute(
            "SELECT event_id, payload FROM outbox WHERE topic = %s", (TRANSFERRED_TOPIC,)
        ):
            handover_id = json.loads(payload)["data"]["handover_id"]
            transfers.setdefault(str(handover_id), set()).add(str(event_id))
        rows = {
            kind: _count(conn, table)
            for kind, table in (("case", "cases"), ("document", "documents"))
        }
        rows["handover"] = len(status)
    with psycopg.connect(postgres.url(databases["notifications_api"]), connect_timeout=5) as conn:
        deliveries: dict[str, list[tuple[str, str]]] = {}
        for delivery_id, delivery_status, payload in conn.execute(
            "SELECT id, status, payload FROM deliveries WHERE topic = %s ORDER BY created_at",
            (TRANSFERRED_TOPIC,),
        ):
            handover_id = str(json.loads(payload)["data"]["handover_id"])
            deliveries.setdefault(handover_id, []).append((str(delivery_id), delivery_status))
    unsent: dict[str, int] = {}
    for service, database in databases.items():
        with psycopg.connect(postgres.url(database), connect_timeout=5) as conn:
            row = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()
            unsent[service] = int(row[0]) if row else 0
    return ServiceBooks(status, transfers, rows, deliveries, unsent)


def _count(conn: psycopg.Connection[tuple[object, ...]], table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - fixed names
    return int(str(row[0])) if row else 0


@dataclass
class Comparison:
    """The ledgers side by side for one moment."""

    accepted: set[str]
    lost: list[str]
    not_transferred: list[str]
    not_delivered: list[str]
    duplicates: dict[str, int] = field(default_factory=dict)
    foreign_webhooks: int = 0
    quiet: bool = False

    @property
    def duplicate_total(self) -> int:
        """Every kind of duplicate effect added up."""
        return sum(self.duplicates.values())

    def converged(self) -> bool:
        """Every accepted handover transferred, delivered and received; nothing in flight."""
        return not (self.lost or self.not_transferred or self.not_delivered) and self.quiet


def compare(stats: LoadStats, books: ServiceBooks, receiver: FaultReceiver) -> Comparison:
    """Lost and duplicate effects across the client's answers, the tables and the receiver."""
    with stats.lock:
        accepted = set(stats.accepted)
        keys = {kind: len(k) for kind, k in stats.keys_by_kind.items()}
    webhooks: dict[str, set[str]] = {}
    foreign = 0
    for webhook in receiver.webhooks():
        if webhook.handover_id is None or webhook.handover_id not in books.handover_status:
            foreign += 1
            continue
        webhooks.setdefault(webhook.handover_id, set()).add(webhook.webhook_id)
    delivered = {
        h for h, rows in books.deliveries.items() if any(s == "succeeded" for _, s in rows)
    }
    duplicates = {
        "receiver": sum(len(ids) - 1 for ids in webhooks.values()),
        "transfers": sum(len(ids) - 1 for ids in books.transfers.values()),
        "deliveries": sum(len(rows) - 1 for rows in books.deliveries.values()),
        "idempotency_answers": stats.key_duplicates(),
        "idempotency_rows": sum(
            max(0, books.rows.get(kind, 0) - count) for kind, count in keys.items()
        ),
    }
    return Comparison(
        accepted=accepted,
        lost=sorted(accepted - set(webhooks)),
        not_transferred=sorted(
            h for h in accepted if books.handover_status.get(h) not in TRANSFERRED_OR_LATER
        ),
        not_delivered=sorted(accepted - delivered),
        duplicates=duplicates,
        foreign_webhooks=foreign,
        quiet=books.pending_deliveries == 0 and not any(books.unsent_outbox.values()),
    )


@dataclass(frozen=True)
class Figures:
    """The one-line result of a scenario."""

    name: str
    accepted: int
    lost: int
    duplicates: int
    retries: int
    server_errors: int
    drain_seconds: float

    def line(self) -> str:
        """`fault <name>: accepted=N lost=0 duplicates=0 retries=R 5xx=S drain=T.Ts`."""
        return (
            f"fault {self.name}: accepted={self.accepted} lost={self.lost} "
            f"duplicates={self.duplicates} retries={self.retries} 5xx={self.server_errors} "
            f"drain={self.drain_seconds:.1f}s"
        )
