"""Audit records wait in audit_pending until the sealer chains them into audit_log

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 23:00:00

Written by hand (static). Transactions stop taking the chain head's lock: they insert
their records into `audit_pending`, and the sealer appends them to the chain in id order.
Triggers refuse UPDATE and TRUNCATE of waiting records, and DELETE outside a sealing
transaction. The downgrade chains whatever still waits before it drops the table, so
nothing recorded is lost either way.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from handover_api.domain.audit import AuditFact, extend

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSERT_ONLY = """
CREATE FUNCTION audit_pending_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_pending records cannot change: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""

# Only the sealer removes waiting records: it says so with `SET LOCAL handover.audit_sealing
# = 'on'` in the transaction that has just appended them to the chain.
SEALER_ONLY = """
CREATE FUNCTION audit_pending_sealer_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('handover.audit_sealing', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'audit_pending records leave only by sealing: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("actor_org", sa.String(100), nullable=False),
        sa.Column("actor_subject", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(INSERT_ONLY)
    op.execute(
        "CREATE TRIGGER audit_pending_insert_only BEFORE UPDATE ON audit_pending"
        " FOR EACH ROW EXECUTE FUNCTION audit_pending_insert_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_pending_no_truncate BEFORE TRUNCATE ON audit_pending"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_insert_only()"
    )
    op.execute(SEALER_ONLY)
    op.execute(
        "CREATE TRIGGER audit_pending_sealer_only BEFORE DELETE ON audit_pending"
        " FOR EACH ROW EXECUTE FUNCTION audit_pending_sealer_only()"
    )


def _seal_waiting() -> None:
    bind = op.get_bind()
    head = bind.execute(sa.text("SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"))
    last_seq, last_hash = head.one()
    rows = bind.execute(
        sa.text(
            "SELECT id, case_id, actor_org, actor_subject, action, purpose, request_id,"
            " details, at FROM audit_pending ORDER BY id"
        )
    ).all()
    if not rows:
        return
    chained = extend(
        last_seq,
        last_hash,
        [
            AuditFact(
                case_id=r.case_id,
                actor_org=r.actor_org,
                actor_subject=r.actor_subject,
                action=r.action,
                purpose=r.purpose,
                request_id=r.request_id,
                at=r.at,
                details=r.details,
            )
            for r in rows
        ],
    )
    params: list[dict[str, Any]] = [
        {
            "case_id": c.fact.case_id,
            "actor_org": c.fact.actor_org,
            "actor_subject": c.fact.actor_subject,
            "action": c.fact.action,
            "purpose": c.fact.purpose,
            "request_id": c.fact.request_id,
            "details": c.fact.details,
            "at": c.fact.at,
            "seq": c.seq,
            "prev_hash": c.prev_hash,
            "hash": c.hash,
        }
        for c in chained
    ]
    columns: list[sa.ColumnClause[Any]] = [sa.column(n) for n in params[0] if n != "details"]
    audit_log = sa.table("audit_log", *columns, sa.column("details", postgresql.JSONB()))
    bind.execute(sa.insert(audit_log), params)
    bind.execute(
        sa.text("UPDATE audit_chain_head SET seq = :seq, hash = :hash WHERE id = 1"),
        {"seq": chained[-1].seq, "hash": chained[-1].hash},
    )
    bind.execute(sa.text("SET LOCAL handover.audit_sealing = 'on'"))
    bind.execute(sa.text("DELETE FROM audit_pending"))


def downgrade() -> None:
    _seal_waiting()
    op.execute("DROP TRIGGER audit_pending_sealer_only ON audit_pending")
    op.execute("DROP FUNCTION audit_pending_sealer_only()")
    op.execute("DROP TRIGGER audit_pending_no_truncate ON audit_pending")
    op.execute("DROP TRIGGER audit_pending_insert_only ON audit_pending")
    op.execute("DROP FUNCTION audit_pending_insert_only()")
    op.drop_table("audit_pending")
