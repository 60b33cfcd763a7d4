"""handovers.transfer_date_from_eligibility: the transfer date is eligibility's first day

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-25 20:10:00

Written by hand (static). A refugee handover started without a date takes the first day of
the Jobcenter's responsibility from eligibility_api's answer and waits for it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "handovers",
        sa.Column(
            "transfer_date_from_eligibility",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("handovers", "transfer_date_from_eligibility")
