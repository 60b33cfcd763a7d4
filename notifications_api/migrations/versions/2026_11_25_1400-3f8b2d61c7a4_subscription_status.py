"""subscription status: a 410 Gone answer disables a subscription until its owner enables it

Revision ID: 3f8b2d61c7a4
Revises: 7c1e4a9d2b30
Create Date: 2026-11-25 14:00:00

Written by hand (static). Existing subscriptions become `active`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.base import UTCDateTime

revision: str = "3f8b2d61c7a4"
down_revision: str | None = "7c1e4a9d2b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("status", sa.String(20), server_default="active", nullable=False),
    )
    op.add_column("subscriptions", sa.Column("disabled_at", UTCDateTime, nullable=True))
    op.add_column("subscriptions", sa.Column("disabled_reason", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("subscriptions", "disabled_reason")
    op.drop_column("subscriptions", "disabled_at")
    op.drop_column("subscriptions", "status")
