"""info-session series, attendance, consultations and the consultation.overdue marker

Revision ID: b2e6f0c41a10
Revises: a1d5c3e8f702
Create Date: 2026-11-25 19:45:00

Written by hand (static). Existing sessions keep no series; existing invitations start at
version 1 without attendance.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.base import JSONType, UTCDateTime

revision: str = "b2e6f0c41a10"
down_revision: str | None = "a1d5c3e8f702"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "info_session_series",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location", sa.String(50), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("weekday", sa.String(2), nullable=False),
        sa.Column("weeks_of_month", JSONType, nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("agentur_org", sa.String(100), nullable=False),
        sa.Column("jobcenter_org", sa.String(100), nullable=False),
        sa.Column("co_hosts", JSONType, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("materialised_until", sa.Date(), nullable=False),
        sa.Column("created_by_org", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_info_session_series"),
    )
    op.create_index("ix_info_session_series_until", "info_session_series", ["materialised_until"])
    op.add_column("info_sessions", sa.Column("series_id", sa.Uuid(), nullable=True))
    op.add_column("info_sessions", sa.Column("place", sa.String(200), nullable=True))
    op.create_foreign_key(
        "fk_info_sessions_series_id_info_session_series",
        "info_sessions",
        "info_session_series",
        ["series_id"],
        ["id"],
    )
    op.create_unique_constraint(
        "uq_info_sessions_series_start", "info_sessions", ["series_id", "starts_at"]
    )
    op.add_column("invitations", sa.Column("attendance", sa.String(20), nullable=True))
    op.add_column("invitations", sa.Column("attendance_recorded_at", UTCDateTime, nullable=True))
    op.add_column("invitations", sa.Column("attendance_recorded_by", sa.String(100), nullable=True))
    op.add_column(
        "invitations", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("invitations", sa.Column("consultation_overdue_at", UTCDateTime, nullable=True))
    op.create_index("ix_invitations_session", "invitations", ["session_id"])
    op.create_table(
        "consultations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("owner_org", sa.String(100), nullable=False),
        sa.Column("agentur_org", sa.String(100), nullable=False),
        sa.Column("jobcenter_org", sa.String(100), nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_org", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name="fk_consultations_invitation_id_invitations",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["info_sessions.id"],
            name="fk_consultations_session_id_info_sessions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consultations"),
    )
    op.create_index("ix_consultations_invitation", "consultations", ["invitation_id"])
    op.create_index(
        "ix_consultations_case_created", "consultations", ["case_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_consultations_case_created", table_name="consultations")
    op.drop_index("ix_consultations_invitation", table_name="consultations")
    op.drop_table("consultations")
    op.drop_index("ix_invitations_session", table_name="invitations")
    op.drop_column("invitations", "consultation_overdue_at")
    op.drop_column("invitations", "version")
    op.drop_column("invitations", "attendance_recorded_by")
    op.drop_column("invitations", "attendance_recorded_at")
    op.drop_column("invitations", "attendance")
    op.drop_constraint("uq_info_sessions_series_start", "info_sessions", type_="unique")
    op.drop_constraint(
        "fk_info_sessions_series_id_info_session_series", "info_sessions", type_="foreignkey"
    )
    op.drop_column("info_sessions", "place")
    op.drop_column("info_sessions", "series_id")
    op.drop_index("ix_info_session_series_until", table_name="info_session_series")
    op.drop_table("info_session_series")
