"""One case per Kundennummer and creating organisation; cases found by Kundennummer

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-25 20:00:00

Written by hand (static). Cases created before the unique index may share a Kundennummer
within one organisation: the oldest keeps it, the later ones lose it (their records stay).
The migration log names each such case and the one that kept the number (ids only, never
the number), so the organisation can merge or correct them.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

# Later cases of one creating organisation sharing a Kundennummer with an earlier one.
CLEAR_DUPLICATES = """
WITH ranked AS (
    SELECT id,
           first_value(id) OVER w AS kept_id,
           row_number() OVER w AS n
    FROM cases
    WHERE kundennummer IS NOT NULL
    WINDOW w AS (PARTITION BY created_by_org, kundennummer ORDER BY created_at, id)
)
UPDATE cases SET kundennummer = NULL
FROM ranked WHERE cases.id = ranked.id AND ranked.n > 1
RETURNING cases.id, ranked.kept_id
"""


def upgrade() -> None:
    for case_id, kept_id in op.get_bind().execute(sa.text(CLEAR_DUPLICATES)).all():
        log.warning(
            "case %s lost its Kundennummer: case %s of the same organisation has it",
            case_id,
            kept_id,
        )
    op.create_index(
        "uq_cases_created_by_org_kundennummer",
        "cases",
        ["created_by_org", "kundennummer"],
        unique=True,
    )
    op.create_index("ix_cases_kundennummer", "cases", ["kundennummer"])


def downgrade() -> None:
    op.drop_index("ix_cases_kundennummer", table_name="cases")
    op.drop_index("uq_cases_created_by_org_kundennummer", table_name="cases")
