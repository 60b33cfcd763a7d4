"""Settings common to every service: database, Kafka, auth and logging groups."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["dev", "test", "prod"]
DEV_ISSUER = "http://127.0.0.1:8000/dev-issuer"


class DatabaseSettings(BaseModel):
    """Connection to the service's own database."""

    # The dev stack's embedded server (`make run`); production passes its own URL.
    URL: str = "postgresql+psycopg://postgres@127.0.0.1:15432/postgres"
    ECHO: bool = False
    POOL_SIZE: int = 5


class KafkaSettings(BaseModel):
    """The Kafka cluster (Apache Kafka in production, the embedded broker in dev)."""

    BOOTSTRAP_SERVERS: str = "127.0.0.1:19092"
    CLIENT_ID: str = "handover-broker"
    # Apache Kafka supports idempotent producers; the embedded dev broker does not.
    ENABLE_IDEMPOTENCE: bool = False
    REQUEST_TIMEOUT_MS: int = 15000
    TOPIC_PARTITIONS: int = 3
    REPLICATION_FACTOR: int = 1
    SECURITY_PROTOCOL: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"


class AuthSettings(BaseModel):
    """OAuth2 bearer JWT verification."""

    JWKS_URL: str = "var/dev-issuer/jwks.json"
    ISSUER: str = DEV_ISSUER
    AUDIENCE: str = "handover-broker"
    ALGORITHMS: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    LEEWAY_SECONDS: int = 30


class RelaySettings(BaseModel):
    """Outbox relay: batches, and the advisory lock that keeps one relay active per service."""

    ENABLED: bool = True
    BATCH_SIZE: int = 200
    # The holder wakes on the outbox signal (a commit in this process, or the NOTIFY of a
    # commit in another); this slow poll only covers a notification lost in an outage.
    POLL_INTERVAL_SECONDS: float = 30.0
    # How often a standby replica tries to take the lock: the failover time after a crash.
    LOCK_RETRY_SECONDS: float = 1.0
    # A lock connection that does not answer a ping within this time counts as lost.
    LOCK_CHECK_TIMEOUT_SECONDS: float = 2.0
    # Backoff after a failed publish (broker down), doubled up to the maximum.
    RETRY_INITIAL_SECONDS: float = 0.25
    RETRY_MAX_SECONDS: float = 5.0
    # Housekeeping by the lock holder: sent outbox rows and inbox ids are kept this long.
    # Inbox ids must outlive any redelivery (offset resets, dead-letter replays).
    SENT_RETENTION_HOURS: float = 72.0
    INBOX_RETENTION_DAYS: float = 30.0
    IDEMPOTENCY_RETENTION_HOURS: float = 24.0
    HOUSEKEEPING_INTERVAL_SECONDS: float = 3600.0


class ConsumerSettings(BaseModel):
    """Inbox consumer: retries, dead-lettering and group membership."""

    ENABLED: bool = True
    # Deterministic failures (validation, domain invariants): bounded, then `<topic>.dlq`.
    MAX_ATTEMPTS: int = 5
    BACKOFF_INITIAL_SECONDS: float = 0.2
    BACKOFF_MAX_SECONDS: float = 5.0
    # Infrastructure failures (database, network, broker): retried in place until they pass.
    INFRA_BACKOFF_INITIAL_SECONDS: float = 0.25
    INFRA_BACKOFF_MAX_SECONDS: float = 5.0
    # Static group membership: a restarted replica takes its partitions back without waiting
    # for the broker to expire it. Stable per replica; empty means
    # `<service>-<group>-<hostname>-<port>`. Two live members must never share one.
    GROUP_INSTANCE_ID: str = ""
    # Off by default like ENABLE_IDEMPOTENCE: the embedded dev broker never expires a static
    # member that went away, so its partitions would stay with it. On for Apache Kafka.
    STATIC_MEMBERSHIP: bool = False
    # How long the broker may hold a fetch open waiting for records, while records flow.
    # The broker answers as soon as a record arrives, but a partition whose records are
    # being handled is fetched again only after the fetch in flight returns, so this is a
    # floor per hop under load (aiokafka's default, 500 ms, made it 0.36 s p50 on Tansu
    # with 3 partitions; 10 ms, 4 ms). When nothing came for a poll, the consumer switches
    # to IDLE_FETCH_MAX_WAIT_MS: no added latency, and a few requests a second, not 100.
    FETCH_MAX_WAIT_MS: int = Field(default=10, ge=1, le=500)
    IDLE_FETCH_MAX_WAIT_MS: int = Field(default=500, ge=1, le=5000)
    # 6 s is Apache Kafka's default group.min.session.timeout.ms.
    SESSION_TIMEOUT_MS: int = 6000
    HEARTBEAT_INTERVAL_MS: int = 2000


class TracingSettings(BaseModel):
    """OpenTelemetry traces: off unless an exporter is chosen."""

    # "none": no spans are recorded (a W3C `traceparent` received is still passed on);
    # "otlp": spans go over OTLP/HTTP to OTLP_ENDPOINT; "memory": kept in the process (tests).
    EXPORTER: Literal["none", "otlp", "memory"] = "none"
    OTLP_ENDPOINT: str = "http://127.0.0.1:4318/v1/traces"
    OTLP_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    # Share of new traces recorded; a caller's sampling decision is always followed.
    SAMPLE_RATIO: float = Field(default=1.0, ge=0.0, le=1.0)


class RateLimitSettings(BaseModel):
    """Per-client rate limiting of the HTTP API (token bucket per client, per process)."""

    # None: on in prod, off in dev and test. True or false decides for every environment.
    ENABLED: bool | None = None
    # Tokens a client's bucket gains per second, and how many it holds (the burst).
    RATE_PER_SECOND: float = Field(default=20.0, gt=0)
    BURST: int = Field(default=100, ge=1)
    # Buckets kept at once; the least recently seen client's goes first.
    MAX_CLIENTS: int = Field(default=10_000, ge=1)


class ServiceSettings(BaseSettings):
    """Base settings; every service subclasses it with its own env prefix."""

    model_config = SettingsConfigDict(
        env_nested_delimiter="__", extra="ignore", env_file=None, frozen=True
    )

    SERVICE_NAME: str = "service"
    ENVIRONMENT: Environment = "dev"
    HOST: str = "127.0.0.1"
    PORT: int = 8000
    PUBLIC_BASE_URL: str = ""
    DATA_DIR: Path = Path("var")
    LOG_LEVEL: str = "INFO"
    LOG_JSON: bool = True
    MAX_REQUEST_BYTES: int = 1_000_000
    MAX_UPLOAD_BYTES: int = 25 * 1024 * 1024
    # Swagger UI at /docs: on outside prod, in prod only when set to true. /openapi.json is
    # always served.
    DOCS_UI: bool | None = None
    # Strict-Transport-Security on every response in prod (TLS ends in front of the app).
    HSTS_MAX_AGE_SECONDS: int = Field(default=31_536_000, ge=0)
    DB: DatabaseSettings = DatabaseSettings()
    KAFKA: KafkaSettings = KafkaSettings()
    AUTH: AuthSettings = AuthSettings()
    RELAY: RelaySettings = RelaySettings()
    CONSUMER: ConsumerSettings = ConsumerSettings()
    TRACING: TracingSettings = TracingSettings()
    RATE_LIMIT: RateLimitSettings = RateLimitSettings()

    @model_validator(mode="after")
    def _refuse_dev_issuer_in_prod(self) -> Self:
        # Tokens of the dev issuer can be minted by anyone with the repository checked out.
        if self.ENVIRONMENT == "prod" and self.AUTH.ISSUER == DEV_ISSUER:
            raise ValueError("AUTH__ISSUER names the dev issuer; set the real token issuer")
        return self

    @property
    def docs_ui_enabled(self) -> bool:
        """Whether /docs serves Swagger UI."""
        return self.ENVIRONMENT != "prod" if self.DOCS_UI is None else self.DOCS_UI

    @property
    def rate_limit_enabled(self) -> bool:
        """Whether the API limits requests per client."""
        enabled = self.RATE_LIMIT.ENABLED
        return self.ENVIRONMENT == "prod" if enabled is None else enabled

    @property
    def hsts_header(self) -> str | None:
        """The Strict-Transport-Security value, in prod only."""
        if self.ENVIRONMENT != "prod" or self.HSTS_MAX_AGE_SECONDS == 0:
            return None
        return f"max-age={self.HSTS_MAX_AGE_SECONDS}; includeSubDomains"

    @property
    def base_url(self) -> str:
        """The externally visible base URL of this service."""
        return self.PUBLIC_BASE_URL or f"http://{self.HOST}:{self.PORT}"
