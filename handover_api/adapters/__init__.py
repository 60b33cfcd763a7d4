"""Adapters of handover_api: tables, repositories, unit of work, blob store, signing."""
