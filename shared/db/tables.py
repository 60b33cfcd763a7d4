"""Infrastructure tables every service database has: outbox, inbox, leases, idempotency keys."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from shared.db.base import BigIntId, JSONType, UTCDateTime
from shared.tracing import current_traceparent

# A W3C traceparent of version 00 has 55 characters; later versions may append fields.
TRACEPARENT_LENGTH = 128


def staging_traceparent() -> str | None:
    """The trace context a row is staged in (a column default, called without arguments)."""
    return current_traceparent()


def outbox_table(metadata: MetaData, *, traceparent: bool = True) -> Table:
    """Events staged in the same transaction as the state change they describe."""
    table = Table(
        "outbox",
        metadata,
        Column("id", BigIntId, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("payload", Text, nullable=False),
        Column("headers", JSONType, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_unsent", "sent_at", "id"),
    )
    if traceparent:
        # The trace context of the transaction that staged the event (filled in on insert):
        # the relay publishes it as a child of this, so the consumers continue the trace.
        table.append_column(
            Column(
                "traceparent",
                String(TRACEPARENT_LENGTH),
                nullable=True,
                default=staging_traceparent,
            )
        )
    return table


def inbox_table(metadata: MetaData) -> Table:
    """Event ids a consumer group has applied, recorded with the effect."""
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("processed_at", UTCDateTime, nullable=False),
    )


def leases_table(metadata: MetaData) -> Table:
    """Named leases of the v1 schema; dropped in v2: singletons hold PostgreSQL advisory locks."""
    return Table(
        "leases",
        metadata,
        Column("name", String(200), primary_key=True),
        Column("holder", String(200), nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
    )


def idempotency_table(metadata: MetaData) -> Table:
    """Responses remembered per (org, Idempotency-Key) for creating requests."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("org", String(100), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("response_body", Text, nullable=False),
        Column("response_headers", JSONType, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
    )


def add_infrastructure_tables(metadata: MetaData) -> None:
    """Add the infrastructure tables to a service's metadata (for migrations and tests)."""
    outbox_table(metadata)
    inbox_table(metadata)
    idempotency_table(metadata)


# Statements only use table and column names, so shared code queries these copies while each
# service's own metadata (and its migrations) define the same tables in its database.
_INFRA = MetaData()
OUTBOX = outbox_table(_INFRA)
INBOX = inbox_table(_INFRA)
IDEMPOTENCY = idempotency_table(_INFRA)


def create_infrastructure_tables_v1(metadata: MetaData) -> list[Table]:
    """The v1 infrastructure tables as a migration creates them; frozen: add a v2, never edit."""
    fresh = MetaData(naming_convention=metadata.naming_convention)
    # v1 had no traceparent; each service's revision adds it later.
    return [
        outbox_table(fresh, traceparent=False),
        inbox_table(fresh),
        leases_table(fresh),
        idempotency_table(fresh),
    ]
