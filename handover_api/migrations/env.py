"""Alembic environment of handover_api."""

from handover_api.adapters.tables import metadata
from shared.db.migrations import run_env

run_env(metadata)
