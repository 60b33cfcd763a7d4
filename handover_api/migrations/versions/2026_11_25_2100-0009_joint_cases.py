"""U25 joint cases: the partner organisation of a case and the case conferences

Revision ID: 0009
Revises: 0004, 0005, 0006, 0007, 0008
Create Date: 2026-11-25 21:00:00

Written by hand (static). Merges the heads of that day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = ("0004", "0005", "0006", "0007", "0008")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("cases", sa.Column("joint", postgresql.JSONB(), nullable=True))
    op.add_column("cases", sa.Column("joint_partner_org", sa.String(100), nullable=True))
    op.create_index("ix_cases_joint_partner_org", "cases", ["joint_partner_org"])
    op.create_table(
        "case_conferences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", postgresql.JSONB(), nullable=False),
        sa.Column("next_steps", postgresql.JSONB(), nullable=False),
        sa.Column("next_review_date", sa.Date(), nullable=False),
        sa.Column("lead_org", sa.String(100), nullable=False),
        sa.Column("recorded_by_org", sa.String(100), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_conferences"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_conferences_case_id_cases"
        ),
    )
    op.create_index("ix_case_conferences_case_id_id", "case_conferences", ["case_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_case_conferences_case_id_id", table_name="case_conferences")
    op.drop_table("case_conferences")
    op.drop_index("ix_cases_joint_partner_org", table_name="cases")
    op.drop_column("cases", "joint_partner_org")
    op.drop_column("cases", "joint")
