"""drop the leases table: singletons hold PostgreSQL session advisory locks

Revision ID: 9b4d2e7c1a60
Revises: 5e1c0a7d2b41
Create Date: 2026-11-25 15:30:00

Written by hand (static).
"""

from collections.abc import Sequence

from shared.db.migrations import drop_leases_v2, restore_leases_v2

revision: str = "9b4d2e7c1a60"
down_revision: str | None = "5e1c0a7d2b41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    drop_leases_v2()


def downgrade() -> None:
    restore_leases_v2()
