"""Initial schema: cases, documents, handovers, audit log, organisations (seeded).

Revision ID: 0001
Revises:
Create Date: 2026-11-21 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations import create_infrastructure_v1, drop_infrastructure_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger()

ORGANISATIONS = [
    {
        "id": "agentur-hagen",
        "name": "Agentur für Arbeit Hagen",
        "type": "AGENTUR",
        "legal_domain": "SGB_III",
        "municipalities": [
            "Hagen",
            "Witten",
            "Gevelsberg",
            "Hattingen",
            "Schwelm",
            "Sprockhövel",
            "Wetter (Ruhr)",
            "Herdecke",
            "Ennepetal",
            "Breckerfeld",
        ],
    },
    {
        "id": "jobcenter-ennepe-ruhr",
        "name": "Jobcenter EN (Ennepe-Ruhr-Kreis)",
        "type": "JOBCENTER",
        "legal_domain": "SGB_II",
        "municipalities": [
            "Witten",
            "Gevelsberg",
            "Hattingen",
            "Schwelm",
            "Sprockhövel",
            "Wetter (Ruhr)",
            "Herdecke",
            "Ennepetal",
            "Breckerfeld",
        ],
    },
    {
        "id": "agentur-ahlen-muenster",
        "name": "Agentur für Arbeit Ahlen-Münster",
        "type": "AGENTUR",
        "legal_domain": "SGB_III",
        "municipalities": ["Münster", "Ahlen"],
    },
    {
        "id": "jobcenter-muenster",
        "name": "Jobcenter Münster",
        "type": "JOBCENTER",
        "legal_domain": "SGB_II",
        "municipalities": ["Münster"],
    },
]


def upgrade() -> None:
    create_infrastructure_v1()
    organisations = op.create_table(
        "organisations",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("legal_domain", sa.String(20), nullable=False),
        sa.Column("municipalities", sa.JSON(), nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("owner_org", sa.String(100), nullable=False, index=True),
        sa.Column("created_by_org", sa.String(100), nullable=False),
        sa.Column("kundennummer", sa.String(20), nullable=True),
        sa.Column("municipality", sa.String(100), nullable=True),
        sa.Column("person", JSON, nullable=False),
        sa.Column("facts", JSON, nullable=False),
        sa.Column("integration_plan", JSON, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Uuid(),
            sa.ForeignKey("cases.id", name="fk_documents_case_id_cases"),
            nullable=False,
            index=True,
        ),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("special_category", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.String(100), nullable=True),
        sa.Column("uploaded_by_org", sa.String(100), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
    )
    op.create_table(
        "handovers",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Uuid(),
            sa.ForeignKey("cases.id", name="fk_handovers_case_id_cases"),
            nullable=False,
            index=True,
        ),
        sa.Column("active_case_id", sa.Uuid(), nullable=True, unique=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("from_org", sa.String(100), nullable=False, index=True),
        sa.Column("to_org", sa.String(100), nullable=False, index=True),
        sa.Column("legal_domain_from", sa.String(20), nullable=False),
        sa.Column("legal_domain_to", sa.String(20), nullable=False),
        sa.Column("status", sa.String(30), nullable=False, index=True),
        sa.Column("transfer_date", sa.Date(), nullable=False),
        sa.Column("trigger", JSON, nullable=True),
        sa.Column("eligibility_status", sa.String(20), nullable=False),
        sa.Column("eligibility", JSON, nullable=True),
        sa.Column("waivers", sa.JSON(), nullable=False),
        sa.Column("manifest", JSON, nullable=True),
        sa.Column("manifest_signature", sa.String(2000), nullable=True),
        sa.Column("transferred_at", TS, nullable=True),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("overdue_at", TS, nullable=True),
        sa.Column("accepted_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("rejected_at", TS, nullable=True),
        sa.Column("rejection_reason", sa.String(40), nullable=True),
        sa.Column("cancelled_at", TS, nullable=True),
        sa.Column("cancellation_reason", sa.String(40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("actor_org", sa.String(100), nullable=False),
        sa.Column("actor_subject", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_audit_log_case_at", "audit_log", ["case_id", "id"])
    op.bulk_insert(organisations, ORGANISATIONS)


def downgrade() -> None:
    op.drop_index("ix_audit_log_case_at", table_name="audit_log")
    for table in ("audit_log", "handovers", "documents", "cases", "organisations"):
        op.drop_table(table)
    drop_infrastructure_v1()
