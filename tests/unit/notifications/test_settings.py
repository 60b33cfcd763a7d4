"""NotificationsSettings: env prefix, defaults, and the URL policy per environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from notifications_api.settings import NotificationsSettings, WebhookSettings
from shared.settings import AuthSettings


class TestNotificationsSettings:
    def test_defaults(self) -> None:
        settings = NotificationsSettings()
        assert settings.SERVICE_NAME == "notifications_api"
        assert settings.PORT == 8003
        assert settings.DB.URL == "postgresql+psycopg://postgres@127.0.0.1:15432/notifications"

    def test_env_prefix_and_nested_groups(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("NOTIFICATIONS_PORT", "9103")
        monkeypatch.setenv("NOTIFICATIONS_WEBHOOKS__MAX_ATTEMPTS", "3")
        monkeypatch.setenv("NOTIFICATIONS_WEBHOOKS__BACKOFF_SCHEDULE_SECONDS", "[1, 2]")
        settings = NotificationsSettings()
        assert settings.PORT == 9103
        assert settings.WEBHOOKS.MAX_ATTEMPTS == 3
        assert settings.WEBHOOKS.BACKOFF_SCHEDULE_SECONDS == (1.0, 2.0)

    @pytest.mark.parametrize(
        ("environment", "relaxed"), [("dev", True), ("test", True), ("prod", False)]
    )
    def test_private_urls_and_http_only_outside_prod(self, environment: str, relaxed: bool) -> None:
        settings = NotificationsSettings(
            ENVIRONMENT=environment, AUTH=AuthSettings(ISSUER="https://idp.example.org/realm")
        )
        assert settings.allow_private_urls is relaxed
        assert settings.allow_http is relaxed

    def test_explicit_flag_wins(self) -> None:
        settings = NotificationsSettings(WEBHOOKS=WebhookSettings(ALLOW_PRIVATE_URLS=False))
        assert not settings.allow_private_urls

    def test_claim_must_outlast_an_attempt(self) -> None:
        with pytest.raises(ValidationError):
            WebhookSettings(TIMEOUT_SECONDS=30, CLAIM_SECONDS=40)

    def test_empty_backoff_schedule_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            WebhookSettings(BACKOFF_SCHEDULE_SECONDS=())
