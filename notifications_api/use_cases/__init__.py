"""Use cases: one transaction each, committed in one place."""
