"""initial: infrastructure tables, subscriptions, deliveries, info sessions, invitations

Revision ID: 7c1e4a9d2b30
Revises:
Create Date: 2025-11-21 06:00:00

Written by hand (static): later changes get their own revision, this one is never edited.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.base import BigIntId, JSONType, UTCDateTime
from shared.db.migrations import create_infrastructure_v1, drop_infrastructure_v1

revision: str = "7c1e4a9d2b30"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_infrastructure_v1()
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org", sa.String(100), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("event_types", JSONType, nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("deleted_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
    )
    op.create_index("ix_subscriptions_org_created", "subscriptions", ["org", "created_at", "id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("org", sa.String(100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("attempts_in_round", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=True),
        sa.Column("locked_until", UTCDateTime, nullable=True),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("completed_at", UTCDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name="fk_deliveries_subscription_id_subscriptions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_subscription_event"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_org_created", "deliveries", ["org", "created_at", "id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", BigIntId, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("attempted_at", UTCDateTime, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name="fk_delivery_attempts_delivery_id_deliveries",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
    )
    op.create_index("ix_delivery_attempts_delivery_id", "delivery_attempts", ["delivery_id"])
    op.create_table(
        "info_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location", sa.String(50), nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("agentur_org", sa.String(100), nullable=False),
        sa.Column("jobcenter_org", sa.String(100), nullable=False),
        sa.Column("created_by_org", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_info_sessions"),
    )
    op.create_index("ix_info_sessions_location_starts", "info_sessions", ["location", "starts_at"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("owner_org", sa.String(100), nullable=False),
        sa.Column("location", sa.String(50), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("invitation_date", sa.Date(), nullable=False),
        sa.Column("alg1_end_date", sa.Date(), nullable=False),
        sa.Column("session_starts_at", UTCDateTime, nullable=True),
        sa.Column("consultation_due_date", sa.Date(), nullable=True),
        sa.Column("source_event_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["info_sessions.id"],
            name="fk_invitations_session_id_info_sessions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
    )
    op.create_index("ix_invitations_owner_case", "invitations", ["owner_org", "case_id"])
    op.create_index("ix_invitations_status_location", "invitations", ["status", "location"])


def downgrade() -> None:
    op.drop_table("invitations")
    op.drop_table("info_sessions")
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
    drop_infrastructure_v1()
