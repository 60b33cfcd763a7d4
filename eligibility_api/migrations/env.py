"""Alembic environment of eligibility_api."""

from eligibility_api.adapters.tables import metadata
from shared.db.migrations import run_env

run_env(metadata)
