"""outbox.traceparent: the trace context staged with each event

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-25 20:30:00

Written by hand (static).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "traceparent")
