"""initial: infrastructure tables, eligibility checks, case facts, scheduled transitions

Revision ID: 5e1c0a7d2b41
Revises:
Create Date: 2026-11-21 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.base import BigIntId, JSONType, UTCDateTime
from shared.db.migrations import create_infrastructure_v1, drop_infrastructure_v1

revision: str = "5e1c0a7d2b41"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_infrastructure_v1()
    op.create_table(
        "eligibility_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_org", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("handover_id", sa.Uuid(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("facts", JSONType, nullable=False),
        sa.Column("decision", JSONType, nullable=False),
        sa.Column("legal_domain", sa.String(length=20), nullable=False),
        sa.Column("rules_version", sa.String(length=60), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_checks")),
    )
    op.create_index(op.f("ix_eligibility_checks_owner_org"), "eligibility_checks", ["owner_org"])
    op.create_index(op.f("ix_eligibility_checks_case_id"), "eligibility_checks", ["case_id"])
    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("owner_org", sa.String(length=100), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.Column("facts", JSONType, nullable=False),
        sa.Column("alg1_end_date", sa.Date(), nullable=True),
        sa.Column("facts_changed_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_facts")),
    )
    op.create_index(op.f("ix_case_facts_alg1_end_date"), "case_facts", ["alg1_end_date"])
    op.create_table(
        "scheduled_transitions",
        sa.Column("id", BigIntId, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("alg1_end_date", sa.Date(), nullable=False),
        sa.Column("invitation_date", sa.Date(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("scheduled_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_transitions")),
        # Exactly one transition.upcoming per (case, ALG I end date), across replicas.
        sa.UniqueConstraint(
            "case_id", "alg1_end_date", name="uq_scheduled_transitions_case_id_alg1_end_date"
        ),
    )


def downgrade() -> None:
    op.drop_table("scheduled_transitions")
    op.drop_index(op.f("ix_case_facts_alg1_end_date"), table_name="case_facts")
    op.drop_table("case_facts")
    op.drop_index(op.f("ix_eligibility_checks_case_id"), table_name="eligibility_checks")
    op.drop_index(op.f("ix_eligibility_checks_owner_org"), table_name="eligibility_checks")
    op.drop_table("eligibility_checks")
    drop_infrastructure_v1()
