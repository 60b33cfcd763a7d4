"""Tamper-evident audit trail: chained records, chain head, signed checkpoints, append-only

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-25 20:00:00

Written by hand (static). Records written before this revision are chained in id order
with the canonical form of `handover_api.domain.audit` (their request id unknown, their
purpose the default of their action), so the whole trail verifies from the first record.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from handover_api.domain.audit import GENESIS_HASH, AuditFact, extend, purpose_of

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)

APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def _chain_existing() -> tuple[int, str]:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, case_id, actor_org, actor_subject, action, details, at"
            " FROM audit_log ORDER BY id"
        )
    ).all()
    facts = [
        AuditFact(
            case_id=r.case_id,
            actor_org=r.actor_org,
            actor_subject=r.actor_subject,
            action=r.action,
            purpose=purpose_of(r.action, r.details),
            request_id=None,
            at=r.at,
            details=r.details,
        )
        for r in rows
    ]
    chained = extend(0, GENESIS_HASH, facts)
    params: list[dict[str, Any]] = [
        {"id": r.id, "seq": c.seq, "purpose": c.fact.purpose, "prev": c.prev_hash, "h": c.hash}
        for r, c in zip(rows, chained, strict=True)
    ]
    if params:
        bind.execute(
            sa.text(
                "UPDATE audit_log SET seq = :seq, purpose = :purpose, prev_hash = :prev,"
                " hash = :h WHERE id = :id"
            ),
            params,
        )
    return (chained[-1].seq, chained[-1].hash) if chained else (0, GENESIS_HASH)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("purpose", sa.String(200), nullable=True))
    op.add_column("audit_log", sa.Column("request_id", sa.String(200), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(64), nullable=True))
    last_seq, last_hash = _chain_existing()
    for column in ("seq", "purpose", "prev_hash", "hash"):
        op.alter_column("audit_log", column, nullable=False)
    op.create_index("ux_audit_log_seq", "audit_log", ["seq"], unique=True)

    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": last_seq, "hash": last_hash}])
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("signature", sa.String(2000), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_head")
    op.drop_index("ux_audit_log_seq", table_name="audit_log")
    for column in ("hash", "prev_hash", "request_id", "purpose", "seq"):
        op.drop_column("audit_log", column)
