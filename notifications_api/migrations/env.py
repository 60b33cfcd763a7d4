"""Alembic environment of notifications_api."""

from notifications_api.adapters.tables import metadata
from shared.db.migrations import run_env

run_env(metadata)
