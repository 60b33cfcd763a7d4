"""HTTP API of handover_api."""
