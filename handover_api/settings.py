"""Settings of handover_api (env prefix HANDOVER_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings, ServiceSettings


class HandoverSettings(ServiceSettings):
    """Environment: HANDOVER_PORT, HANDOVER_DB__URL, HANDOVER_KAFKA__BOOTSTRAP_SERVERS, ..."""

    model_config = SettingsConfigDict(env_prefix="HANDOVER_")

    SERVICE_NAME: str = "handover_api"
    PORT: int = 8001
    DB: DatabaseSettings = DatabaseSettings(
        URL="postgresql+psycopg://postgres@127.0.0.1:15432/handover"
    )
    BLOB_DIR: Path = Path("var/blobs")
    MANIFEST_KEY_PATH: Path = Path("var/handover-manifest-key.pem")
    ACCEPT_DEADLINE_DAYS: int = 10
    OVERDUE_CHECK_INTERVAL_SECONDS: float = 60.0
    # Every N-th audit record gets a checkpoint signed with the manifest key, so a verifier
    # can start there (`GET /v1/audit/verify?from=checkpoint`); fewer records between two
    # checkpoints shorten that walk, at one signature per N records.
    AUDIT_CHECKPOINT_EVERY: int = Field(default=1000, ge=1, le=1_000_000)
    # Audited transactions write their records unchained; the worker chains what waits this
    # often (one replica), and every reader of the trail chains what waits before it reads.
    AUDIT_SEAL_INTERVAL_SECONDS: float = Field(default=1.0, gt=0, le=3600)
