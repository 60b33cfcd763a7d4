"""outbox.traceparent and deliveries.traceparent: the trace context of each event and delivery

Revision ID: c3f7a1d52b20
Revises: a1d5c3e8f702
Create Date: 2026-11-25 20:30:00

Written by hand (static).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3f7a1d52b20"
down_revision: str | None = "a1d5c3e8f702"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=128), nullable=True))
    op.add_column("deliveries", sa.Column("traceparent", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column("deliveries", "traceparent")
    op.drop_column("outbox", "traceparent")
