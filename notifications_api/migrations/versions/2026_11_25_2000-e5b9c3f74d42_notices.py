"""notices to the person and the audit trail of reads of their documents

Revision ID: e5b9c3f74d42
Revises: a1d5c3e8f702
Create Date: 2026-11-25 20:00:00

Written by hand (static): two new tables, nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.base import BigIntId, JSONType, UTCDateTime

revision: str = "e5b9c3f74d42"
down_revision: str | None = "a1d5c3e8f702"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("org", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("facts", JSONType, nullable=False),
        sa.Column("source_event_id", sa.Uuid(), nullable=True),
        sa.Column("template_version", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("rendered_at", UTCDateTime, nullable=True),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.UniqueConstraint("source_event_id", "kind", name="uq_notices_source_event_kind"),
    )
    op.create_index(
        "ix_notices_org_case_created", "notices", ["org", "case_id", "created_at", "id"]
    )
    op.create_index("ix_notices_due", "notices", ["status", "next_attempt_at"])
    op.create_table(
        "notice_reads",
        sa.Column("id", BigIntId, autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("org", sa.String(100), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("read_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notice_reads"),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name="fk_notice_reads_notice_id_notices"
        ),
    )
    op.create_index("ix_notice_reads_notice_id", "notice_reads", ["notice_id"])


def downgrade() -> None:
    op.drop_index("ix_notice_reads_notice_id", table_name="notice_reads")
    op.drop_table("notice_reads")
    op.drop_index("ix_notices_due", table_name="notices")
    op.drop_index("ix_notices_org_case_created", table_name="notices")
    op.drop_table("notices")
