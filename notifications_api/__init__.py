"""notifications_api: webhook subscriptions and deliveries, info sessions and invitations."""
