"""subscription secret rotation: the old secret and when it stops signing

Revision ID: f6c0d4a85e53
Revises: b2e6f0c41a10, e5b9c3f74d42, c3f7a1d52b20
Create Date: 2026-11-25 21:00:00

Written by hand (static). Merges the heads it revises. Existing subscriptions have no old
secret.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.base import UTCDateTime

revision: str = "f6c0d4a85e53"
down_revision: str | Sequence[str] | None = ("b2e6f0c41a10", "e5b9c3f74d42", "c3f7a1d52b20")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("old_secret", sa.String(200), nullable=True))
    op.add_column("subscriptions", sa.Column("old_secret_expires_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    op.drop_column("subscriptions", "old_secret_expires_at")
    op.drop_column("subscriptions", "old_secret")
