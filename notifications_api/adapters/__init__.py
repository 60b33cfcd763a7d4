"""Adapters: tables, repositories, unit of work, the webhook HTTP sender."""
