"""Use cases of handover_api: one transaction each, committed in one place."""
