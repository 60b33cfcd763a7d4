"""handover_api package."""
