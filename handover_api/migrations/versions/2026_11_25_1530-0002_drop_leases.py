"""drop the leases table: singletons hold PostgreSQL session advisory locks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:30:00

Written by hand (static).
"""

from collections.abc import Sequence

from shared.db.migrations import drop_leases_v2, restore_leases_v2

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    drop_leases_v2()


def downgrade() -> None:
    restore_leases_v2()
