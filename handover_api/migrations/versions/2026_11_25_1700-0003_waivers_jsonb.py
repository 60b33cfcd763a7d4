"""handovers.waivers as JSONB, like every other typed JSON column

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:00:00

Written by hand (static).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "handovers",
        "waivers",
        type_=postgresql.JSONB(),
        existing_type=sa.JSON(),
        existing_nullable=False,
        postgresql_using="waivers::jsonb",
    )


def downgrade() -> None:
    op.alter_column(
        "handovers",
        "waivers",
        type_=sa.JSON(),
        existing_type=postgresql.JSONB(),
        existing_nullable=False,
        postgresql_using="waivers::json",
    )
