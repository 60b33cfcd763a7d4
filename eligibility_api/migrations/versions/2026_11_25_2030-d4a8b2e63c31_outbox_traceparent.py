"""outbox.traceparent: the trace context staged with each event

Revision ID: d4a8b2e63c31
Revises: 9b4d2e7c1a60
Create Date: 2026-11-25 20:30:00

Written by hand (static).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4a8b2e63c31"
down_revision: str | None = "9b4d2e7c1a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "traceparent")
