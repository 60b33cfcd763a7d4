"""Messaging: the Kafka port and adapters, the outbox relay and the inbox consumer."""
