"""Settings of notifications_api (env prefix NOTIFICATIONS_)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings, ServiceSettings


class WebhookSettings(BaseModel):
    """Outbound webhook deliveries: timeouts, retries, the worker and the URL policy."""

    TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=60)
    MAX_ATTEMPTS: int = Field(default=8, ge=1, le=50)
    # Delay after the 1st, 2nd, ... failed attempt; the last value repeats.
    BACKOFF_SCHEDULE_SECONDS: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0, 7200.0)
    WORKER_ENABLED: bool = True
    # The fallback poll: a stored or requeued delivery wakes the worker (NOTIFY across
    # processes) and a retry is attempted when due, so this only covers a lost wake-up.
    WORKER_INTERVAL_SECONDS: float = Field(default=30.0, gt=0)
    WORKER_BATCH_SIZE: int = Field(default=20, ge=1, le=500)
    # A claimed delivery stays locked this long; it must outlast one HTTP attempt.
    CLAIM_SECONDS: float = Field(default=60.0, gt=0)
    # Cap of the backoff between retries while the database is unavailable.
    DB_BACKOFF_MAX_SECONDS: float = Field(default=5.0, gt=0, le=60)
    # None: allowed in dev and test (loopback receivers), refused in prod.
    ALLOW_PRIVATE_URLS: bool | None = None
    # None: plain http allowed in dev and test, https only in prod.
    ALLOW_HTTP: bool | None = None
    USER_AGENT: str = "handover-broker-notifications/1"

    @model_validator(mode="after")
    def _check(self) -> WebhookSettings:
        if not self.BACKOFF_SCHEDULE_SECONDS or min(self.BACKOFF_SCHEDULE_SECONDS) < 0:
            raise ValueError("BACKOFF_SCHEDULE_SECONDS needs at least one non-negative delay")
        if self.CLAIM_SECONDS <= self.TIMEOUT_SECONDS * 2:
            raise ValueError("CLAIM_SECONDS must exceed twice TIMEOUT_SECONDS")
        return self


class SmtpSettings(BaseModel):
    """The SMTP server notices are e-mailed through."""

    HOST: str = "127.0.0.1"
    PORT: int = Field(default=25, ge=1, le=65535)
    FROM_ADDRESS: str = "noreply@handover-broker.invalid"
    STARTTLS: bool = False
    USERNAME: str | None = None
    PASSWORD: SecretStr | None = None
    TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=120)


class ContactApiSettings(BaseModel):
    """handover_api's contact endpoint and the service token to call it with.

    Either a static `TOKEN` (the dev stack mints one for `notifications-service`) or OAuth2
    client credentials (`TOKEN_URL`, `CLIENT_ID`, `CLIENT_SECRET`).
    """

    BASE_URL: str = "http://127.0.0.1:8001"
    TOKEN: SecretStr | None = None
    TOKEN_URL: str | None = None
    CLIENT_ID: str | None = None
    CLIENT_SECRET: SecretStr | None = None
    SCOPE: str = "contact:read"
    TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=60)


class NoticeSettings(BaseModel):
    """Notices to the person: the sending job, its retries, SMTP and the contact source."""

    JOB_ENABLED: bool = True
    INTERVAL_SECONDS: float = Field(default=10.0, gt=0)
    BATCH_SIZE: int = Field(default=20, ge=1, le=500)
    MAX_ATTEMPTS: int = Field(default=6, ge=1, le=50)
    # Delay after the 1st, 2nd, ... failed attempt; the last value repeats.
    BACKOFF_SCHEDULE_SECONDS: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0, 3600.0)
    SMTP: SmtpSettings = SmtpSettings()
    CONTACTS: ContactApiSettings = ContactApiSettings()

    @model_validator(mode="after")
    def _check(self) -> NoticeSettings:
        if not self.BACKOFF_SCHEDULE_SECONDS or min(self.BACKOFF_SCHEDULE_SECONDS) < 0:
            raise ValueError("BACKOFF_SCHEDULE_SECONDS needs at least one non-negative delay")
        return self


class NotificationsSettings(ServiceSettings):
    """Environment: NOTIFICATIONS_PORT, NOTIFICATIONS_DB__URL, NOTIFICATIONS_WEBHOOKS__..."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_")

    SERVICE_NAME: str = "notifications_api"
    PORT: int = 8003
    DB: DatabaseSettings = DatabaseSettings(
        URL="postgresql+psycopg://postgres@127.0.0.1:15432/notifications"
    )
    WEBHOOKS: WebhookSettings = WebhookSettings()
    NOTICES: NoticeSettings = NoticeSettings()

    @property
    def allow_private_urls(self) -> bool:
        """Whether webhook URLs may point at loopback or private addresses."""
        explicit = self.WEBHOOKS.ALLOW_PRIVATE_URLS
        return self.ENVIRONMENT != "prod" if explicit is None else explicit

    @property
    def allow_http(self) -> bool:
        """Whether webhook URLs may use plain http."""
        explicit = self.WEBHOOKS.ALLOW_HTTP
        return self.ENVIRONMENT != "prod" if explicit is None else explicit
