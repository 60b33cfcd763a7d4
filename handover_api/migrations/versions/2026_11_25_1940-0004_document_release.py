"""documents.release: the recorded release of a special-category document

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:40:00

Written by hand (static).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("release", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "release")
