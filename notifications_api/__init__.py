"""notifications_api package."""
